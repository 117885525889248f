export type Json = string | number | boolean | null | { [key: string]: Json | undefined } | Json[];

export type Database = {
  "public": {
    Tables: {
      "activity_log": {
        Row: {
          "actor_id": string | null;
          "chat_id": string | null;
          "created_at": string;
          "event_data": NonNullable<Json>;
          "event_type": string;
          "id": number;
          "owner_id": string;
        };
        ComputedFields: never;
        Insert: {
          "actor_id"?: string | null;
          "chat_id"?: string | null;
          "created_at"?: string;
          "event_data"?: NonNullable<Json>;
          "event_type": string;
          "id"?: never;
          "owner_id": string;
        };
        Update: {
          "actor_id"?: string | null;
          "chat_id"?: string | null;
          "created_at"?: string;
          "event_data"?: NonNullable<Json>;
          "event_type"?: string;
          "id"?: never;
          "owner_id"?: string;
        };
        Relationships: [];
      };
      "agents": {
        Row: {
          "created_at": string;
          "default_model": string | null;
          "description": string | null;
          "display_name": string;
          "icon": string | null;
          "id": string;
          "kind": string;
          "metadata": NonNullable<Json>;
          "name": string;
          "owner_id": string | null;
          "prompt_name": string | null;
          "updated_at": string;
        };
        ComputedFields: never;
        Insert: {
          "created_at"?: string;
          "default_model"?: string | null;
          "description"?: string | null;
          "display_name": string;
          "icon"?: string | null;
          "id"?: string;
          "kind"?: string;
          "metadata"?: NonNullable<Json>;
          "name": string;
          "owner_id"?: string | null;
          "prompt_name"?: string | null;
          "updated_at"?: string;
        };
        Update: {
          "created_at"?: string;
          "default_model"?: string | null;
          "description"?: string | null;
          "display_name"?: string;
          "icon"?: string | null;
          "id"?: string;
          "kind"?: string;
          "metadata"?: NonNullable<Json>;
          "name"?: string;
          "owner_id"?: string | null;
          "prompt_name"?: string | null;
          "updated_at"?: string;
        };
        Relationships: [];
      };
      "artifact_versions": {
        Row: {
          "artifact_id": string;
          "change_summary": string | null;
          "content": string | null;
          "content_hash": string;
          "content_json": Json | null;
          "created_at": string;
          "created_by": string | null;
          "created_by_message_id": string | null;
          "file_path": string | null;
          "id": string;
          "parent_version_id": string | null;
          "reverted_from_version_id": string | null;
          "version_number": number;
        };
        ComputedFields: never;
        Insert: {
          "artifact_id": string;
          "change_summary"?: string | null;
          "content"?: string | null;
          "content_hash": string;
          "content_json"?: Json | null;
          "created_at"?: string;
          "created_by"?: string | null;
          "created_by_message_id"?: string | null;
          "file_path"?: string | null;
          "id"?: string;
          "parent_version_id"?: string | null;
          "reverted_from_version_id"?: string | null;
          "version_number": number;
        };
        Update: {
          "artifact_id"?: string;
          "change_summary"?: string | null;
          "content"?: string | null;
          "content_hash"?: string;
          "content_json"?: Json | null;
          "created_at"?: string;
          "created_by"?: string | null;
          "created_by_message_id"?: string | null;
          "file_path"?: string | null;
          "id"?: string;
          "parent_version_id"?: string | null;
          "reverted_from_version_id"?: string | null;
          "version_number"?: number;
        };
        Relationships: [
          {
            foreignKeyName: "artifact_versions_artifact_id_fkey";
            columns: ["artifact_id"];
            isOneToOne: false;
            referencedRelation: "artifacts";
            referencedColumns: ["id"];
          },
        ];
      };
      "artifacts": {
        Row: {
          "chat_id": string | null;
          "created_at": string;
          "created_by_message_id": string | null;
          "current_version": number;
          "current_version_id": string | null;
          "description": string | null;
          "entry_id": string | null;
          "hidden_at": string | null;
          "hidden_by": string | null;
          "id": string;
          "owner_id": string;
          "project_id": string | null;
          "title": string;
          "total_versions": number;
          "type": string;
          "updated_at": string;
        };
        ComputedFields: never;
        Insert: {
          "chat_id"?: string | null;
          "created_at"?: string;
          "created_by_message_id"?: string | null;
          "current_version"?: number;
          "current_version_id"?: string | null;
          "description"?: string | null;
          "entry_id"?: string | null;
          "hidden_at"?: string | null;
          "hidden_by"?: string | null;
          "id"?: string;
          "owner_id"?: string;
          "project_id"?: string | null;
          "title": string;
          "total_versions"?: number;
          "type": string;
          "updated_at"?: string;
        };
        Update: {
          "chat_id"?: string | null;
          "created_at"?: string;
          "created_by_message_id"?: string | null;
          "current_version"?: number;
          "current_version_id"?: string | null;
          "description"?: string | null;
          "entry_id"?: string | null;
          "hidden_at"?: string | null;
          "hidden_by"?: string | null;
          "id"?: string;
          "owner_id"?: string;
          "project_id"?: string | null;
          "title"?: string;
          "total_versions"?: number;
          "type"?: string;
          "updated_at"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "artifacts_chat_id_fkey";
            columns: ["chat_id"];
            isOneToOne: false;
            referencedRelation: "chats";
            referencedColumns: ["id"];
          },
          {
            foreignKeyName: "artifacts_entry_id_fkey";
            columns: ["entry_id"];
            isOneToOne: false;
            referencedRelation: "entries";
            referencedColumns: ["id"];
          },
          {
            foreignKeyName: "artifacts_project_id_fkey";
            columns: ["project_id"];
            isOneToOne: false;
            referencedRelation: "projects";
            referencedColumns: ["id"];
          },
        ];
      };
      "attachment_links": {
        Row: {
          "attachment_id": string;
          "chat_id": string | null;
          "created_at": string;
          "entry_id": string | null;
          "id": string;
          "linked_by": string | null;
          "message_id": string | null;
        };
        ComputedFields: never;
        Insert: {
          "attachment_id": string;
          "chat_id"?: string | null;
          "created_at"?: string;
          "entry_id"?: string | null;
          "id"?: string;
          "linked_by"?: string | null;
          "message_id"?: string | null;
        };
        Update: {
          "attachment_id"?: string;
          "chat_id"?: string | null;
          "created_at"?: string;
          "entry_id"?: string | null;
          "id"?: string;
          "linked_by"?: string | null;
          "message_id"?: string | null;
        };
        Relationships: [
          {
            foreignKeyName: "attachment_links_attachment_id_fkey";
            columns: ["attachment_id"];
            isOneToOne: false;
            referencedRelation: "attachments";
            referencedColumns: ["id"];
          },
          {
            foreignKeyName: "attachment_links_chat_id_fkey";
            columns: ["chat_id"];
            isOneToOne: false;
            referencedRelation: "chats";
            referencedColumns: ["id"];
          },
          {
            foreignKeyName: "attachment_links_entry_id_fkey";
            columns: ["entry_id"];
            isOneToOne: false;
            referencedRelation: "entries";
            referencedColumns: ["id"];
          },
          {
            foreignKeyName: "attachment_links_message_id_fkey";
            columns: ["message_id"];
            isOneToOne: false;
            referencedRelation: "messages";
            referencedColumns: ["id"];
          },
        ];
      };
      "attachments": {
        Row: {
          "bucket_id": string;
          "category": string;
          "created_at": string;
          "file_name": string;
          "id": string;
          "mime_type": string;
          "object_id": string;
          "object_version": string | null;
          "owner_id": string;
          "path": string;
          "processed_at": string | null;
          "processing_result": Json | null;
          "processing_status": string;
          "sha256": string | null;
          "size_bytes": number;
          "updated_at": string;
        };
        ComputedFields: never;
        Insert: {
          "bucket_id": string;
          "category": string;
          "created_at"?: string;
          "file_name": string;
          "id": string;
          "mime_type": string;
          "object_id": string;
          "object_version"?: string | null;
          "owner_id": string;
          "path": string;
          "processed_at"?: string | null;
          "processing_result"?: Json | null;
          "processing_status"?: string;
          "sha256"?: string | null;
          "size_bytes": number;
          "updated_at"?: string;
        };
        Update: {
          "bucket_id"?: string;
          "category"?: string;
          "created_at"?: string;
          "file_name"?: string;
          "id"?: string;
          "mime_type"?: string;
          "object_id"?: string;
          "object_version"?: string | null;
          "owner_id"?: string;
          "path"?: string;
          "processed_at"?: string | null;
          "processing_result"?: Json | null;
          "processing_status"?: string;
          "sha256"?: string | null;
          "size_bytes"?: number;
          "updated_at"?: string;
        };
        Relationships: [];
      };
      "chat_members": {
        Row: {
          "added_by": string | null;
          "chat_id": string;
          "created_at": string;
          "role": string;
          "updated_at": string;
          "user_id": string;
        };
        ComputedFields: never;
        Insert: {
          "added_by"?: string | null;
          "chat_id": string;
          "created_at"?: string;
          "role": string;
          "updated_at"?: string;
          "user_id": string;
        };
        Update: {
          "added_by"?: string | null;
          "chat_id"?: string;
          "created_at"?: string;
          "role"?: string;
          "updated_at"?: string;
          "user_id"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "chat_members_chat_id_fkey";
            columns: ["chat_id"];
            isOneToOne: false;
            referencedRelation: "chats";
            referencedColumns: ["id"];
          },
        ];
      };
      "chat_shares": {
        Row: {
          "chat_id": string;
          "created_at": string;
          "created_by": string | null;
          "expires_at": string | null;
          "id": string;
          "revoked_at": string | null;
          "token_hash": string;
          "up_to_message_id": string;
        };
        ComputedFields: never;
        Insert: {
          "chat_id": string;
          "created_at"?: string;
          "created_by"?: string | null;
          "expires_at"?: string | null;
          "id"?: string;
          "revoked_at"?: string | null;
          "token_hash": string;
          "up_to_message_id": string;
        };
        Update: {
          "chat_id"?: string;
          "created_at"?: string;
          "created_by"?: string | null;
          "expires_at"?: string | null;
          "id"?: string;
          "revoked_at"?: string | null;
          "token_hash"?: string;
          "up_to_message_id"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "chat_shares_chat_id_fkey";
            columns: ["chat_id"];
            isOneToOne: false;
            referencedRelation: "chats";
            referencedColumns: ["id"];
          },
          {
            foreignKeyName: "chat_shares_up_to_message_id_fkey";
            columns: ["up_to_message_id"];
            isOneToOne: false;
            referencedRelation: "messages";
            referencedColumns: ["id"];
          },
        ];
      };
      "chats": {
        Row: {
          "agent_id": string | null;
          "archived": boolean;
          "continuation_id": string | null;
          "created_at": string;
          "current_leaf_depth": number;
          "current_leaf_ends_segment": boolean;
          "current_leaf_head_depth": number | null;
          "current_leaf_id": string | null;
          "current_leaf_parent_id": string | null;
          "current_leaf_segment_start": number | null;
          "entry_id": string | null;
          "expires_at": string | null;
          "forked_from_chat_id": string | null;
          "forked_from_message_id": string | null;
          "id": string;
          "input_tokens": number;
          "last_activity_at": string;
          "last_activity_minute": string;
          "last_message_at": string | null;
          "last_sequence_number": number;
          "message_count": number;
          "metadata": NonNullable<Json>;
          "output_tokens": number;
          "owner_id": string;
          "phase": string | null;
          "pinned": boolean;
          "project_id": string | null;
          "title": string | null;
          "ttl": string | null;
          "updated_at": string;
        };
        ComputedFields: never;
        Insert: {
          "agent_id"?: string | null;
          "archived"?: boolean;
          "continuation_id"?: string | null;
          "created_at"?: string;
          "current_leaf_depth"?: number;
          "current_leaf_ends_segment"?: boolean;
          "current_leaf_head_depth"?: number | null;
          "current_leaf_id"?: string | null;
          "current_leaf_parent_id"?: string | null;
          "current_leaf_segment_start"?: number | null;
          "entry_id"?: string | null;
          "expires_at"?: string | null;
          "forked_from_chat_id"?: string | null;
          "forked_from_message_id"?: string | null;
          "id"?: string;
          "input_tokens"?: number;
          "last_activity_at"?: string;
          "last_activity_minute"?: string;
          "last_message_at"?: string | null;
          "last_sequence_number"?: number;
          "message_count"?: number;
          "metadata"?: NonNullable<Json>;
          "output_tokens"?: number;
          "owner_id"?: string;
          "phase"?: string | null;
          "pinned"?: boolean;
          "project_id"?: string | null;
          "title"?: string | null;
          "ttl"?: string | null;
          "updated_at"?: string;
        };
        Update: {
          "agent_id"?: string | null;
          "archived"?: boolean;
          "continuation_id"?: string | null;
          "created_at"?: string;
          "current_leaf_depth"?: number;
          "current_leaf_ends_segment"?: boolean;
          "current_leaf_head_depth"?: number | null;
          "current_leaf_id"?: string | null;
          "current_leaf_parent_id"?: string | null;
          "current_leaf_segment_start"?: number | null;
          "entry_id"?: string | null;
          "expires_at"?: string | null;
          "forked_from_chat_id"?: string | null;
          "forked_from_message_id"?: string | null;
          "id"?: string;
          "input_tokens"?: number;
          "last_activity_at"?: string;
          "last_activity_minute"?: string;
          "last_message_at"?: string | null;
          "last_sequence_number"?: number;
          "message_count"?: number;
          "metadata"?: NonNullable<Json>;
          "output_tokens"?: number;
          "owner_id"?: string;
          "phase"?: string | null;
          "pinned"?: boolean;
          "project_id"?: string | null;
          "title"?: string | null;
          "ttl"?: string | null;
          "updated_at"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "chats_agent_id_fkey";
            columns: ["agent_id"];
            isOneToOne: false;
            referencedRelation: "agents";
            referencedColumns: ["id"];
          },
          {
            foreignKeyName: "chats_entry_id_fkey";
            columns: ["entry_id"];
            isOneToOne: false;
            referencedRelation: "entries";
            referencedColumns: ["id"];
          },
          {
            foreignKeyName: "chats_forked_from_chat_id_fkey";
            columns: ["forked_from_chat_id"];
            isOneToOne: false;
            referencedRelation: "chats";
            referencedColumns: ["id"];
          },
          {
            foreignKeyName: "chats_project_id_fkey";
            columns: ["project_id"];
            isOneToOne: false;
            referencedRelation: "projects";
            referencedColumns: ["id"];
          },
        ];
      };
      "code_files": {
        Row: {
          "artifact_id": string;
          "artifact_version_id": string;
          "content": string;
          "created_at": string;
          "filename": string;
          "id": string;
          "language": string;
          "platform": string | null;
          "position": number;
          "production_ready": boolean;
          "project_id": string;
          "required_libraries": (string)[];
          "unit": number | null;
        };
        ComputedFields: never;
        Insert: {
          "artifact_id": string;
          "artifact_version_id": string;
          "content": string;
          "created_at"?: string;
          "filename": string;
          "id"?: string;
          "language": string;
          "platform"?: string | null;
          "position": number;
          "production_ready"?: boolean;
          "project_id": string;
          "required_libraries"?: (string)[];
          "unit"?: number | null;
        };
        Update: {
          "artifact_id"?: string;
          "artifact_version_id"?: string;
          "content"?: string;
          "created_at"?: string;
          "filename"?: string;
          "id"?: string;
          "language"?: string;
          "platform"?: string | null;
          "position"?: number;
          "production_ready"?: boolean;
          "project_id"?: string;
          "required_libraries"?: (string)[];
          "unit"?: number | null;
        };
        Relationships: [
          {
            foreignKeyName: "code_files_artifact_version_id_fkey";
            columns: ["artifact_version_id"];
            isOneToOne: false;
            referencedRelation: "artifact_versions";
            referencedColumns: ["id"];
          },
          {
            foreignKeyName: "code_files_project_id_fkey";
            columns: ["project_id"];
            isOneToOne: false;
            referencedRelation: "projects";
            referencedColumns: ["id"];
          },
        ];
      };
      "connections": {
        Row: {
          "artifact_id": string;
          "artifact_version_id": string;
          "created_at": string;
          "from_part": string;
          "from_pin": string;
          "from_pin_type": string | null;
          "id": string;
          "instruction": string | null;
          "project_id": string;
          "signal_type": string | null;
          "step_number": number;
          "to_part": string;
          "to_pin": string;
          "to_pin_type": string | null;
          "voltage": string | null;
          "voltage_max": number | null;
          "voltage_min": number | null;
          "warnings": (string)[];
          "wire_color": string | null;
        };
        ComputedFields: never;
        Insert: {
          "artifact_id": string;
          "artifact_version_id": string;
          "created_at"?: string;
          "from_part": string;
          "from_pin": string;
          "from_pin_type"?: string | null;
          "id"?: string;
          "instruction"?: string | null;
          "project_id": string;
          "signal_type"?: string | null;
          "step_number": number;
          "to_part": string;
          "to_pin": string;
          "to_pin_type"?: string | null;
          "voltage"?: string | null;
          "voltage_max"?: number | null;
          "voltage_min"?: number | null;
          "warnings"?: (string)[];
          "wire_color"?: string | null;
        };
        Update: {
          "artifact_id"?: string;
          "artifact_version_id"?: string;
          "created_at"?: string;
          "from_part"?: string;
          "from_pin"?: string;
          "from_pin_type"?: string | null;
          "id"?: string;
          "instruction"?: string | null;
          "project_id"?: string;
          "signal_type"?: string | null;
          "step_number"?: number;
          "to_part"?: string;
          "to_pin"?: string;
          "to_pin_type"?: string | null;
          "voltage"?: string | null;
          "voltage_max"?: number | null;
          "voltage_min"?: number | null;
          "warnings"?: (string)[];
          "wire_color"?: string | null;
        };
        Relationships: [
          {
            foreignKeyName: "connections_artifact_version_id_fkey";
            columns: ["artifact_version_id"];
            isOneToOne: false;
            referencedRelation: "artifact_versions";
            referencedColumns: ["id"];
          },
          {
            foreignKeyName: "connections_project_id_fkey";
            columns: ["project_id"];
            isOneToOne: false;
            referencedRelation: "projects";
            referencedColumns: ["id"];
          },
        ];
      };
      "document_chunks": {
        Row: {
          "agent_id": string | null;
          "chunk_index": number;
          "content": string;
          "created_at": string;
          "document_id": string;
          "heading_path": (string)[];
          "id": string;
          "user_id": string | null;
        };
        ComputedFields: never;
        Insert: {
          "agent_id"?: string | null;
          "chunk_index": number;
          "content": string;
          "created_at"?: string;
          "document_id": string;
          "heading_path"?: (string)[];
          "id"?: string;
          "user_id"?: string | null;
        };
        Update: {
          "agent_id"?: string | null;
          "chunk_index"?: number;
          "content"?: string;
          "created_at"?: string;
          "document_id"?: string;
          "heading_path"?: (string)[];
          "id"?: string;
          "user_id"?: string | null;
        };
        Relationships: [
          {
            foreignKeyName: "document_chunks_document_id_fkey";
            columns: ["document_id"];
            isOneToOne: false;
            referencedRelation: "documents";
            referencedColumns: ["id"];
          },
        ];
      };
      "documents": {
        Row: {
          "agent_id": string | null;
          "chunk_count": number;
          "content_hash": string;
          "content_markdown": string;
          "created_at": string;
          "id": string;
          "metadata": NonNullable<Json>;
          "source_url": string | null;
          "title": string;
          "updated_at": string;
          "user_id": string | null;
        };
        ComputedFields: never;
        Insert: {
          "agent_id"?: string | null;
          "chunk_count"?: number;
          "content_hash": string;
          "content_markdown": string;
          "created_at"?: string;
          "id"?: string;
          "metadata"?: NonNullable<Json>;
          "source_url"?: string | null;
          "title": string;
          "updated_at"?: string;
          "user_id"?: string | null;
        };
        Update: {
          "agent_id"?: string | null;
          "chunk_count"?: number;
          "content_hash"?: string;
          "content_markdown"?: string;
          "created_at"?: string;
          "id"?: string;
          "metadata"?: NonNullable<Json>;
          "source_url"?: string | null;
          "title"?: string;
          "updated_at"?: string;
          "user_id"?: string | null;
        };
        Relationships: [
          {
            foreignKeyName: "documents_agent_id_fkey";
            columns: ["agent_id"];
            isOneToOne: false;
            referencedRelation: "agents";
            referencedColumns: ["id"];
          },
        ];
      };
      "dream_details": {
        Row: {
          "audio_path": string | null;
          "created_at": string;
          "dreamt_on": string;
          "entry_id": string;
          "lucid": boolean;
          "mood": string | null;
          "transcribed_at": string | null;
          "transcript": string | null;
          "transcription_error": string | null;
          "transcription_status": string | null;
          "updated_at": string;
          "user_id": string;
        };
        ComputedFields: never;
        Insert: {
          "audio_path"?: string | null;
          "created_at"?: string;
          "dreamt_on": string;
          "entry_id": string;
          "lucid"?: boolean;
          "mood"?: string | null;
          "transcribed_at"?: string | null;
          "transcript"?: string | null;
          "transcription_error"?: string | null;
          "transcription_status"?: string | null;
          "updated_at"?: string;
          "user_id"?: string;
        };
        Update: {
          "audio_path"?: string | null;
          "created_at"?: string;
          "dreamt_on"?: string;
          "entry_id"?: string;
          "lucid"?: boolean;
          "mood"?: string | null;
          "transcribed_at"?: string | null;
          "transcript"?: string | null;
          "transcription_error"?: string | null;
          "transcription_status"?: string | null;
          "updated_at"?: string;
          "user_id"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "dream_details_entry_id_fkey";
            columns: ["entry_id"];
            isOneToOne: true;
            referencedRelation: "entries";
            referencedColumns: ["id"];
          },
        ];
      };
      "dream_images": {
        Row: {
          "created_at": string;
          "entry_id": string;
          "error": string | null;
          "id": string;
          "prompt": string;
          "status": string;
          "storage_path": string | null;
          "updated_at": string;
          "user_id": string;
        };
        ComputedFields: never;
        Insert: {
          "created_at"?: string;
          "entry_id": string;
          "error"?: string | null;
          "id"?: string;
          "prompt": string;
          "status"?: string;
          "storage_path"?: string | null;
          "updated_at"?: string;
          "user_id"?: string;
        };
        Update: {
          "created_at"?: string;
          "entry_id"?: string;
          "error"?: string | null;
          "id"?: string;
          "prompt"?: string;
          "status"?: string;
          "storage_path"?: string | null;
          "updated_at"?: string;
          "user_id"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "dream_images_entry_id_fkey";
            columns: ["entry_id"];
            isOneToOne: false;
            referencedRelation: "entries";
            referencedColumns: ["id"];
          },
        ];
      };
      "embedding_models": {
        Row: {
          "active": boolean;
          "batch_size": number;
          "created_at": string;
          "description": string | null;
          "dimensions": number;
          "enabled": boolean;
          "max_input_chars": number;
          "name": string;
          "options": NonNullable<Json>;
          "provider": string;
          "provider_model": string;
        };
        ComputedFields: never;
        Insert: {
          "active"?: boolean;
          "batch_size"?: number;
          "created_at"?: string;
          "description"?: string | null;
          "dimensions": number;
          "enabled"?: boolean;
          "max_input_chars"?: number;
          "name": string;
          "options"?: NonNullable<Json>;
          "provider": string;
          "provider_model": string;
        };
        Update: {
          "active"?: boolean;
          "batch_size"?: number;
          "created_at"?: string;
          "description"?: string | null;
          "dimensions"?: number;
          "enabled"?: boolean;
          "max_input_chars"?: number;
          "name"?: string;
          "options"?: NonNullable<Json>;
          "provider"?: string;
          "provider_model"?: string;
        };
        Relationships: [];
      };
      "embeddings": {
        Row: {
          "agent_id": string | null;
          "chat_id": string | null;
          "chunk_index": number;
          "content_hash": string;
          "created_at": string;
          "embedding": string;
          "id": number;
          "job_id": number;
          "model": string;
          "source_id": string;
          "source_table": string;
          "updated_at": string;
          "user_id": string | null;
        };
        ComputedFields: never;
        Insert: {
          "agent_id"?: string | null;
          "chat_id"?: string | null;
          "chunk_index"?: number;
          "content_hash": string;
          "created_at"?: string;
          "embedding": string;
          "id"?: never;
          "job_id": number;
          "model": string;
          "source_id": string;
          "source_table": string;
          "updated_at"?: string;
          "user_id"?: string | null;
        };
        Update: {
          "agent_id"?: string | null;
          "chat_id"?: string | null;
          "chunk_index"?: number;
          "content_hash"?: string;
          "created_at"?: string;
          "embedding"?: string;
          "id"?: never;
          "job_id"?: number;
          "model"?: string;
          "source_id"?: string;
          "source_table"?: string;
          "updated_at"?: string;
          "user_id"?: string | null;
        };
        Relationships: [
          {
            foreignKeyName: "embeddings_model_fkey";
            columns: ["model"];
            isOneToOne: false;
            referencedRelation: "embedding_models";
            referencedColumns: ["name"];
          },
        ];
      };
      "entities": {
        Row: {
          "client_id": string | null;
          "created_at": string;
          "created_xid": unknown;
          "deleted_at": string | null;
          "display_name": string;
          "id": string;
          "key": string;
          "merged_into_id": string | null;
          "metadata": NonNullable<Json>;
          "type": string;
          "updated_at": string;
          "updated_xid": unknown;
          "user_id": string;
        };
        ComputedFields: never;
        Insert: {
          "client_id"?: string | null;
          "created_at"?: string;
          "created_xid"?: unknown;
          "deleted_at"?: string | null;
          "display_name": string;
          "id"?: string;
          "key": string;
          "merged_into_id"?: string | null;
          "metadata"?: NonNullable<Json>;
          "type": string;
          "updated_at"?: string;
          "updated_xid"?: unknown;
          "user_id"?: string;
        };
        Update: {
          "client_id"?: string | null;
          "created_at"?: string;
          "created_xid"?: unknown;
          "deleted_at"?: string | null;
          "display_name"?: string;
          "id"?: string;
          "key"?: string;
          "merged_into_id"?: string | null;
          "metadata"?: NonNullable<Json>;
          "type"?: string;
          "updated_at"?: string;
          "updated_xid"?: unknown;
          "user_id"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "entities_merged_into_id_fkey";
            columns: ["merged_into_id"];
            isOneToOne: false;
            referencedRelation: "entities";
            referencedColumns: ["id"];
          },
        ];
      };
      "entries": {
        Row: {
          "body_markdown": string | null;
          "client_id": string | null;
          "created_at": string;
          "created_xid": unknown;
          "deleted_at": string | null;
          "due_at": string | null;
          "ends_at": string | null;
          "facets": (string)[];
          "frontmatter": NonNullable<Json>;
          "id": string;
          "occurred_at": string;
          "source_app": string | null;
          "starts_at": string | null;
          "status": string | null;
          "title": string | null;
          "updated_at": string;
          "updated_xid": unknown;
          "user_id": string;
        };
        ComputedFields: never;
        Insert: {
          "body_markdown"?: string | null;
          "client_id"?: string | null;
          "created_at"?: string;
          "created_xid"?: unknown;
          "deleted_at"?: string | null;
          "due_at"?: string | null;
          "ends_at"?: string | null;
          "facets": (string)[];
          "frontmatter"?: NonNullable<Json>;
          "id"?: string;
          "occurred_at"?: string;
          "source_app"?: string | null;
          "starts_at"?: string | null;
          "status"?: string | null;
          "title"?: string | null;
          "updated_at"?: string;
          "updated_xid"?: unknown;
          "user_id"?: string;
        };
        Update: {
          "body_markdown"?: string | null;
          "client_id"?: string | null;
          "created_at"?: string;
          "created_xid"?: unknown;
          "deleted_at"?: string | null;
          "due_at"?: string | null;
          "ends_at"?: string | null;
          "facets"?: (string)[];
          "frontmatter"?: NonNullable<Json>;
          "id"?: string;
          "occurred_at"?: string;
          "source_app"?: string | null;
          "starts_at"?: string | null;
          "status"?: string | null;
          "title"?: string | null;
          "updated_at"?: string;
          "updated_xid"?: unknown;
          "user_id"?: string;
        };
        Relationships: [];
      };
      "entry_entities": {
        Row: {
          "created_at": string;
          "entity_id": string;
          "entry_id": string;
          "user_id": string;
        };
        ComputedFields: never;
        Insert: {
          "created_at"?: string;
          "entity_id": string;
          "entry_id": string;
          "user_id"?: string;
        };
        Update: {
          "created_at"?: string;
          "entity_id"?: string;
          "entry_id"?: string;
          "user_id"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "entry_entities_entity_id_fkey";
            columns: ["entity_id"];
            isOneToOne: false;
            referencedRelation: "entities";
            referencedColumns: ["id"];
          },
          {
            foreignKeyName: "entry_entities_entry_id_fkey";
            columns: ["entry_id"];
            isOneToOne: false;
            referencedRelation: "entries";
            referencedColumns: ["id"];
          },
        ];
      };
      "entry_goals": {
        Row: {
          "created_at": string;
          "entry_id": string;
          "goal_id": string;
          "user_id": string;
        };
        ComputedFields: never;
        Insert: {
          "created_at"?: string;
          "entry_id": string;
          "goal_id": string;
          "user_id"?: string;
        };
        Update: {
          "created_at"?: string;
          "entry_id"?: string;
          "goal_id"?: string;
          "user_id"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "entry_goals_entry_id_fkey";
            columns: ["entry_id"];
            isOneToOne: false;
            referencedRelation: "entries";
            referencedColumns: ["id"];
          },
          {
            foreignKeyName: "entry_goals_goal_id_fkey";
            columns: ["goal_id"];
            isOneToOne: false;
            referencedRelation: "goals";
            referencedColumns: ["id"];
          },
        ];
      };
      "entry_interpretations": {
        Row: {
          "agent_id": string;
          "artifact_id": string;
          "created_at": string;
          "entry_id": string;
          "user_id": string;
        };
        ComputedFields: never;
        Insert: {
          "agent_id": string;
          "artifact_id": string;
          "created_at"?: string;
          "entry_id": string;
          "user_id"?: string;
        };
        Update: {
          "agent_id"?: string;
          "artifact_id"?: string;
          "created_at"?: string;
          "entry_id"?: string;
          "user_id"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "entry_interpretations_agent_id_fkey";
            columns: ["agent_id"];
            isOneToOne: false;
            referencedRelation: "agents";
            referencedColumns: ["id"];
          },
          {
            foreignKeyName: "entry_interpretations_artifact_id_fkey";
            columns: ["artifact_id"];
            isOneToOne: true;
            referencedRelation: "artifacts";
            referencedColumns: ["id"];
          },
          {
            foreignKeyName: "entry_interpretations_entry_id_fkey";
            columns: ["entry_id"];
            isOneToOne: false;
            referencedRelation: "entries";
            referencedColumns: ["id"];
          },
        ];
      };
      "entry_projects": {
        Row: {
          "created_at": string;
          "entry_id": string;
          "project_id": string;
          "user_id": string;
        };
        ComputedFields: never;
        Insert: {
          "created_at"?: string;
          "entry_id": string;
          "project_id": string;
          "user_id"?: string;
        };
        Update: {
          "created_at"?: string;
          "entry_id"?: string;
          "project_id"?: string;
          "user_id"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "entry_projects_entry_id_fkey";
            columns: ["entry_id"];
            isOneToOne: false;
            referencedRelation: "entries";
            referencedColumns: ["id"];
          },
          {
            foreignKeyName: "entry_projects_project_id_fkey";
            columns: ["project_id"];
            isOneToOne: false;
            referencedRelation: "projects";
            referencedColumns: ["id"];
          },
        ];
      };
      "entry_segments": {
        Row: {
          "client_id": string | null;
          "content": string;
          "created_at": string;
          "duration_ms": number | null;
          "entry_id": string;
          "id": string;
          "kind": string;
          "offset_ms": number | null;
          "position": number;
          "recorded_at": string | null;
          "user_id": string;
        };
        ComputedFields: never;
        Insert: {
          "client_id"?: string | null;
          "content": string;
          "created_at"?: string;
          "duration_ms"?: number | null;
          "entry_id": string;
          "id"?: string;
          "kind"?: string;
          "offset_ms"?: number | null;
          "position": number;
          "recorded_at"?: string | null;
          "user_id"?: string;
        };
        Update: {
          "client_id"?: string | null;
          "content"?: string;
          "created_at"?: string;
          "duration_ms"?: number | null;
          "entry_id"?: string;
          "id"?: string;
          "kind"?: string;
          "offset_ms"?: number | null;
          "position"?: number;
          "recorded_at"?: string | null;
          "user_id"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "entry_segments_entry_id_fkey";
            columns: ["entry_id"];
            isOneToOne: false;
            referencedRelation: "entries";
            referencedColumns: ["id"];
          },
        ];
      };
      "entry_themes": {
        Row: {
          "confidence": number;
          "created_at": string;
          "entry_id": string;
          "source": string | null;
          "theme_id": string;
          "updated_at": string;
          "user_id": string;
        };
        ComputedFields: never;
        Insert: {
          "confidence": number;
          "created_at"?: string;
          "entry_id": string;
          "source"?: string | null;
          "theme_id": string;
          "updated_at"?: string;
          "user_id"?: string;
        };
        Update: {
          "confidence"?: number;
          "created_at"?: string;
          "entry_id"?: string;
          "source"?: string | null;
          "theme_id"?: string;
          "updated_at"?: string;
          "user_id"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "entry_themes_entry_id_fkey";
            columns: ["entry_id"];
            isOneToOne: false;
            referencedRelation: "entries";
            referencedColumns: ["id"];
          },
          {
            foreignKeyName: "entry_themes_theme_id_fkey";
            columns: ["theme_id"];
            isOneToOne: false;
            referencedRelation: "themes";
            referencedColumns: ["id"];
          },
        ];
      };
      "external_event_links": {
        Row: {
          "created_at": string;
          "entry_id": string;
          "etag": string | null;
          "external_id": string;
          "id": string;
          "provider": string;
          "updated_at": string;
          "user_id": string;
        };
        ComputedFields: never;
        Insert: {
          "created_at"?: string;
          "entry_id": string;
          "etag"?: string | null;
          "external_id": string;
          "id"?: string;
          "provider": string;
          "updated_at"?: string;
          "user_id"?: string;
        };
        Update: {
          "created_at"?: string;
          "entry_id"?: string;
          "etag"?: string | null;
          "external_id"?: string;
          "id"?: string;
          "provider"?: string;
          "updated_at"?: string;
          "user_id"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "external_event_links_entry_id_fkey";
            columns: ["entry_id"];
            isOneToOne: false;
            referencedRelation: "entries";
            referencedColumns: ["id"];
          },
        ];
      };
      "file_deletion_jobs": {
        Row: {
          "attachment_id": string | null;
          "attempts": number;
          "bucket_id": string;
          "created_at": string;
          "entry_id": string | null;
          "finished_at": string | null;
          "id": number;
          "last_error": string | null;
          "lease_expires_at": string | null;
          "not_before": string;
          "object_id": string;
          "object_name": string;
          "object_version": string | null;
          "owner_id": string | null;
          "reason": string;
          "result": string | null;
          "status": string;
          "updated_at": string;
        };
        ComputedFields: never;
        Insert: {
          "attachment_id"?: string | null;
          "attempts"?: number;
          "bucket_id": string;
          "created_at"?: string;
          "entry_id"?: string | null;
          "finished_at"?: string | null;
          "id"?: never;
          "last_error"?: string | null;
          "lease_expires_at"?: string | null;
          "not_before"?: string;
          "object_id": string;
          "object_name": string;
          "object_version"?: string | null;
          "owner_id"?: string | null;
          "reason": string;
          "result"?: string | null;
          "status"?: string;
          "updated_at"?: string;
        };
        Update: {
          "attachment_id"?: string | null;
          "attempts"?: number;
          "bucket_id"?: string;
          "created_at"?: string;
          "entry_id"?: string | null;
          "finished_at"?: string | null;
          "id"?: never;
          "last_error"?: string | null;
          "lease_expires_at"?: string | null;
          "not_before"?: string;
          "object_id"?: string;
          "object_name"?: string;
          "object_version"?: string | null;
          "owner_id"?: string | null;
          "reason"?: string;
          "result"?: string | null;
          "status"?: string;
          "updated_at"?: string;
        };
        Relationships: [];
      };
      "goals": {
        Row: {
          "client_id": string | null;
          "created_at": string;
          "created_xid": unknown;
          "deleted_at": string | null;
          "id": string;
          "parent_id": string | null;
          "status": string;
          "target_date": string | null;
          "title": string;
          "updated_at": string;
          "updated_xid": unknown;
          "user_id": string;
        };
        ComputedFields: never;
        Insert: {
          "client_id"?: string | null;
          "created_at"?: string;
          "created_xid"?: unknown;
          "deleted_at"?: string | null;
          "id"?: string;
          "parent_id"?: string | null;
          "status"?: string;
          "target_date"?: string | null;
          "title": string;
          "updated_at"?: string;
          "updated_xid"?: unknown;
          "user_id"?: string;
        };
        Update: {
          "client_id"?: string | null;
          "created_at"?: string;
          "created_xid"?: unknown;
          "deleted_at"?: string | null;
          "id"?: string;
          "parent_id"?: string | null;
          "status"?: string;
          "target_date"?: string | null;
          "title"?: string;
          "updated_at"?: string;
          "updated_xid"?: unknown;
          "user_id"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "goals_parent_id_fkey";
            columns: ["parent_id"];
            isOneToOne: false;
            referencedRelation: "goals";
            referencedColumns: ["id"];
          },
        ];
      };
      "habit_definitions": {
        Row: {
          "client_id": string | null;
          "created_at": string;
          "created_xid": unknown;
          "deleted_at": string | null;
          "id": string;
          "name": string;
          "schedule": NonNullable<Json>;
          "target": number;
          "updated_at": string;
          "updated_xid": unknown;
          "user_id": string;
        };
        ComputedFields: never;
        Insert: {
          "client_id"?: string | null;
          "created_at"?: string;
          "created_xid"?: unknown;
          "deleted_at"?: string | null;
          "id"?: string;
          "name": string;
          "schedule": NonNullable<Json>;
          "target"?: number;
          "updated_at"?: string;
          "updated_xid"?: unknown;
          "user_id"?: string;
        };
        Update: {
          "client_id"?: string | null;
          "created_at"?: string;
          "created_xid"?: unknown;
          "deleted_at"?: string | null;
          "id"?: string;
          "name"?: string;
          "schedule"?: NonNullable<Json>;
          "target"?: number;
          "updated_at"?: string;
          "updated_xid"?: unknown;
          "user_id"?: string;
        };
        Relationships: [];
      };
      "habit_instances": {
        Row: {
          "client_id": string | null;
          "created_at": string;
          "created_xid": unknown;
          "deleted_at": string | null;
          "habit_id": string;
          "id": string;
          "local_date": string;
          "note": string | null;
          "updated_at": string;
          "updated_xid": unknown;
          "user_id": string;
          "value": number;
        };
        ComputedFields: never;
        Insert: {
          "client_id"?: string | null;
          "created_at"?: string;
          "created_xid"?: unknown;
          "deleted_at"?: string | null;
          "habit_id": string;
          "id"?: string;
          "local_date": string;
          "note"?: string | null;
          "updated_at"?: string;
          "updated_xid"?: unknown;
          "user_id"?: string;
          "value"?: number;
        };
        Update: {
          "client_id"?: string | null;
          "created_at"?: string;
          "created_xid"?: unknown;
          "deleted_at"?: string | null;
          "habit_id"?: string;
          "id"?: string;
          "local_date"?: string;
          "note"?: string | null;
          "updated_at"?: string;
          "updated_xid"?: unknown;
          "user_id"?: string;
          "value"?: number;
        };
        Relationships: [
          {
            foreignKeyName: "habit_instances_habit_id_fkey";
            columns: ["habit_id"];
            isOneToOne: false;
            referencedRelation: "habit_definitions";
            referencedColumns: ["id"];
          },
        ];
      };
      "meal_items": {
        Row: {
          "calories": number | null;
          "carbs": number | null;
          "fat": number | null;
          "meal_id": string;
          "name": string;
          "position": number;
          "protein": number | null;
          "quantity": number | null;
          "unit": string | null;
          "user_id": string;
        };
        ComputedFields: never;
        Insert: {
          "calories"?: number | null;
          "carbs"?: number | null;
          "fat"?: number | null;
          "meal_id": string;
          "name": string;
          "position": number;
          "protein"?: number | null;
          "quantity"?: number | null;
          "unit"?: string | null;
          "user_id"?: string;
        };
        Update: {
          "calories"?: number | null;
          "carbs"?: number | null;
          "fat"?: number | null;
          "meal_id"?: string;
          "name"?: string;
          "position"?: number;
          "protein"?: number | null;
          "quantity"?: number | null;
          "unit"?: string | null;
          "user_id"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "meal_items_meal_id_fkey";
            columns: ["meal_id"];
            isOneToOne: false;
            referencedRelation: "meals";
            referencedColumns: ["id"];
          },
        ];
      };
      "meals": {
        Row: {
          "client_id": string | null;
          "created_at": string;
          "created_xid": unknown;
          "deleted_at": string | null;
          "eaten_at": string;
          "entry_id": string | null;
          "id": string;
          "meal_type": string;
          "updated_at": string;
          "updated_xid": unknown;
          "user_id": string;
        };
        ComputedFields: never;
        Insert: {
          "client_id"?: string | null;
          "created_at"?: string;
          "created_xid"?: unknown;
          "deleted_at"?: string | null;
          "eaten_at": string;
          "entry_id"?: string | null;
          "id"?: string;
          "meal_type": string;
          "updated_at"?: string;
          "updated_xid"?: unknown;
          "user_id"?: string;
        };
        Update: {
          "client_id"?: string | null;
          "created_at"?: string;
          "created_xid"?: unknown;
          "deleted_at"?: string | null;
          "eaten_at"?: string;
          "entry_id"?: string | null;
          "id"?: string;
          "meal_type"?: string;
          "updated_at"?: string;
          "updated_xid"?: unknown;
          "user_id"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "meals_entry_id_fkey";
            columns: ["entry_id"];
            isOneToOne: false;
            referencedRelation: "entries";
            referencedColumns: ["id"];
          },
        ];
      };
      "messages": {
        Row: {
          "agent_model": string | null;
          "agent_name": string | null;
          "author_id": string | null;
          "chat_id": string;
          "chat_owner_id": string;
          "client_message_id": string | null;
          "content": string;
          "content_search": unknown;
          "created_at": string;
          "depth": number;
          "id": string;
          "input_tokens": number | null;
          "intent": string | null;
          "latency_ms": number | null;
          "metadata": NonNullable<Json>;
          "output_tokens": number | null;
          "parent_id": string | null;
          "parts": Json | null;
          "role": string;
          "segment_ancestry": (number)[] | null;
          "segment_start": number;
          "sequence_number": number;
          "status": string;
          "updated_at": string;
          "usage_source": string | null;
        };
        ComputedFields: never;
        Insert: {
          "agent_model"?: string | null;
          "agent_name"?: string | null;
          "author_id"?: string | null;
          "chat_id": string;
          "chat_owner_id": string;
          "client_message_id"?: string | null;
          "content"?: string;
          "content_search"?: never;
          "created_at"?: string;
          "depth": number;
          "id"?: string;
          "input_tokens"?: number | null;
          "intent"?: string | null;
          "latency_ms"?: number | null;
          "metadata"?: NonNullable<Json>;
          "output_tokens"?: number | null;
          "parent_id"?: string | null;
          "parts"?: Json | null;
          "role": string;
          "segment_ancestry"?: (number)[] | null;
          "segment_start": number;
          "sequence_number": number;
          "status"?: string;
          "updated_at"?: string;
          "usage_source"?: string | null;
        };
        Update: {
          "agent_model"?: string | null;
          "agent_name"?: string | null;
          "author_id"?: string | null;
          "chat_id"?: string;
          "chat_owner_id"?: string;
          "client_message_id"?: string | null;
          "content"?: string;
          "content_search"?: never;
          "created_at"?: string;
          "depth"?: number;
          "id"?: string;
          "input_tokens"?: number | null;
          "intent"?: string | null;
          "latency_ms"?: number | null;
          "metadata"?: NonNullable<Json>;
          "output_tokens"?: number | null;
          "parent_id"?: string | null;
          "parts"?: Json | null;
          "role"?: string;
          "segment_ancestry"?: (number)[] | null;
          "segment_start"?: number;
          "sequence_number"?: number;
          "status"?: string;
          "updated_at"?: string;
          "usage_source"?: string | null;
        };
        Relationships: [
          {
            foreignKeyName: "messages_chat_id_fkey";
            columns: ["chat_id"];
            isOneToOne: false;
            referencedRelation: "chats";
            referencedColumns: ["id"];
          },
        ];
      };
      "model_prices": {
        Row: {
          "effective_from": string;
          "input_usd_per_million": number;
          "model": string;
          "observed_on": string;
          "output_usd_per_million": number;
          "source": string;
        };
        ComputedFields: never;
        Insert: {
          "effective_from": string;
          "input_usd_per_million": number;
          "model": string;
          "observed_on": string;
          "output_usd_per_million": number;
          "source": string;
        };
        Update: {
          "effective_from"?: string;
          "input_usd_per_million"?: number;
          "model"?: string;
          "observed_on"?: string;
          "output_usd_per_million"?: number;
          "source"?: string;
        };
        Relationships: [];
      };
      "parts": {
        Row: {
          "alternatives": Json | null;
          "artifact_id": string;
          "artifact_version_id": string;
          "created_at": string;
          "currency": string;
          "current": string | null;
          "id": string;
          "interface_type": string | null;
          "line_total": number | null;
          "manufacturer": string | null;
          "name": string;
          "part_number": string | null;
          "position": number;
          "project_id": string;
          "quantity": number;
          "specs": Json | null;
          "supplier": string | null;
          "supplier_url": string | null;
          "unit_price": number;
          "voltage": string | null;
          "voltage_max": number | null;
          "voltage_min": number | null;
        };
        ComputedFields: never;
        Insert: {
          "alternatives"?: Json | null;
          "artifact_id": string;
          "artifact_version_id": string;
          "created_at"?: string;
          "currency": string;
          "current"?: string | null;
          "id"?: string;
          "interface_type"?: string | null;
          "line_total"?: never;
          "manufacturer"?: string | null;
          "name": string;
          "part_number"?: string | null;
          "position": number;
          "project_id": string;
          "quantity": number;
          "specs"?: Json | null;
          "supplier"?: string | null;
          "supplier_url"?: string | null;
          "unit_price": number;
          "voltage"?: string | null;
          "voltage_max"?: number | null;
          "voltage_min"?: number | null;
        };
        Update: {
          "alternatives"?: Json | null;
          "artifact_id"?: string;
          "artifact_version_id"?: string;
          "created_at"?: string;
          "currency"?: string;
          "current"?: string | null;
          "id"?: string;
          "interface_type"?: string | null;
          "line_total"?: never;
          "manufacturer"?: string | null;
          "name"?: string;
          "part_number"?: string | null;
          "position"?: number;
          "project_id"?: string;
          "quantity"?: number;
          "specs"?: Json | null;
          "supplier"?: string | null;
          "supplier_url"?: string | null;
          "unit_price"?: number;
          "voltage"?: string | null;
          "voltage_max"?: number | null;
          "voltage_min"?: number | null;
        };
        Relationships: [
          {
            foreignKeyName: "parts_artifact_version_id_fkey";
            columns: ["artifact_version_id"];
            isOneToOne: false;
            referencedRelation: "artifact_versions";
            referencedColumns: ["id"];
          },
          {
            foreignKeyName: "parts_project_id_fkey";
            columns: ["project_id"];
            isOneToOne: false;
            referencedRelation: "projects";
            referencedColumns: ["id"];
          },
        ];
      };
      "plan_limits": {
        Row: {
          "kind": string;
          "period": string;
          "plan": string;
          "quantity": number | null;
        };
        ComputedFields: never;
        Insert: {
          "kind": string;
          "period": string;
          "plan": string;
          "quantity"?: number | null;
        };
        Update: {
          "kind"?: string;
          "period"?: string;
          "plan"?: string;
          "quantity"?: number | null;
        };
        Relationships: [
          {
            foreignKeyName: "plan_limits_plan_fkey";
            columns: ["plan"];
            isOneToOne: false;
            referencedRelation: "plans";
            referencedColumns: ["plan"];
          },
        ];
      };
      "plans": {
        Row: {
          "display_name": string;
          "plan": string;
        };
        ComputedFields: never;
        Insert: {
          "display_name": string;
          "plan": string;
        };
        Update: {
          "display_name"?: string;
          "plan"?: string;
        };
        Relationships: [];
      };
      "profiles": {
        Row: {
          "avatar_url": string | null;
          "created_at": string;
          "display_name": string | null;
          "id": string;
          "plan": string | null;
          "settings": NonNullable<Json>;
          "timezone": string;
          "updated_at": string;
        };
        ComputedFields: never;
        Insert: {
          "avatar_url"?: string | null;
          "created_at"?: string;
          "display_name"?: string | null;
          "id": string;
          "plan"?: string | null;
          "settings"?: NonNullable<Json>;
          "timezone"?: string;
          "updated_at"?: string;
        };
        Update: {
          "avatar_url"?: string | null;
          "created_at"?: string;
          "display_name"?: string | null;
          "id"?: string;
          "plan"?: string | null;
          "settings"?: NonNullable<Json>;
          "timezone"?: string;
          "updated_at"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "profiles_plan_fkey";
            columns: ["plan"];
            isOneToOne: false;
            referencedRelation: "plans";
            referencedColumns: ["plan"];
          },
        ];
      };
      "project_goals": {
        Row: {
          "created_at": string;
          "goal_id": string;
          "project_id": string;
          "user_id": string;
        };
        ComputedFields: never;
        Insert: {
          "created_at"?: string;
          "goal_id": string;
          "project_id": string;
          "user_id"?: string;
        };
        Update: {
          "created_at"?: string;
          "goal_id"?: string;
          "project_id"?: string;
          "user_id"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "project_goals_goal_id_fkey";
            columns: ["goal_id"];
            isOneToOne: false;
            referencedRelation: "goals";
            referencedColumns: ["id"];
          },
          {
            foreignKeyName: "project_goals_project_id_fkey";
            columns: ["project_id"];
            isOneToOne: false;
            referencedRelation: "projects";
            referencedColumns: ["id"];
          },
        ];
      };
      "projects": {
        Row: {
          "category": string | null;
          "client_id": string | null;
          "created_at": string;
          "created_xid": unknown;
          "currency": string;
          "current_step": string | null;
          "description": string | null;
          "goal": string | null;
          "id": string;
          "location": string | null;
          "metadata": NonNullable<Json>;
          "name": string;
          "owner_id": string;
          "status": string;
          "target_budget": number | null;
          "updated_at": string;
          "updated_xid": unknown;
        };
        ComputedFields: never;
        Insert: {
          "category"?: string | null;
          "client_id"?: string | null;
          "created_at"?: string;
          "created_xid"?: unknown;
          "currency"?: string;
          "current_step"?: string | null;
          "description"?: string | null;
          "goal"?: string | null;
          "id"?: string;
          "location"?: string | null;
          "metadata"?: NonNullable<Json>;
          "name": string;
          "owner_id"?: string;
          "status"?: string;
          "target_budget"?: number | null;
          "updated_at"?: string;
          "updated_xid"?: unknown;
        };
        Update: {
          "category"?: string | null;
          "client_id"?: string | null;
          "created_at"?: string;
          "created_xid"?: unknown;
          "currency"?: string;
          "current_step"?: string | null;
          "description"?: string | null;
          "goal"?: string | null;
          "id"?: string;
          "location"?: string | null;
          "metadata"?: NonNullable<Json>;
          "name"?: string;
          "owner_id"?: string;
          "status"?: string;
          "target_budget"?: number | null;
          "updated_at"?: string;
          "updated_xid"?: unknown;
        };
        Relationships: [];
      };
      "prompt_admins": {
        Row: {
          "granted_at": string;
          "role": string;
          "user_id": string;
        };
        ComputedFields: never;
        Insert: {
          "granted_at"?: string;
          "role"?: string;
          "user_id": string;
        };
        Update: {
          "granted_at"?: string;
          "role"?: string;
          "user_id"?: string;
        };
        Relationships: [];
      };
      "prompt_label_history": {
        Row: {
          "action": string;
          "from_version": number | null;
          "id": number;
          "label": string;
          "moved_at": string;
          "moved_by": string | null;
          "prompt_name": string;
          "to_version": number;
          "undoes_id": number | null;
          "variant": string;
        };
        ComputedFields: never;
        Insert: {
          "action": string;
          "from_version"?: number | null;
          "id"?: never;
          "label": string;
          "moved_at"?: string;
          "moved_by"?: string | null;
          "prompt_name": string;
          "to_version": number;
          "undoes_id"?: number | null;
          "variant": string;
        };
        Update: {
          "action"?: string;
          "from_version"?: number | null;
          "id"?: never;
          "label"?: string;
          "moved_at"?: string;
          "moved_by"?: string | null;
          "prompt_name"?: string;
          "to_version"?: number;
          "undoes_id"?: number | null;
          "variant"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "prompt_label_history_prompt_name_fkey";
            columns: ["prompt_name"];
            isOneToOne: false;
            referencedRelation: "prompts";
            referencedColumns: ["name"];
          },
          {
            foreignKeyName: "prompt_label_history_undoes_id_fkey";
            columns: ["undoes_id"];
            isOneToOne: true;
            referencedRelation: "prompt_label_history";
            referencedColumns: ["id"];
          },
        ];
      };
      "prompt_labels": {
        Row: {
          "label": string;
          "moved_at": string;
          "moved_by": string | null;
          "prompt_name": string;
          "provider": string;
          "tier": number | null;
          "variant": string;
          "version": number;
        };
        ComputedFields: never;
        Insert: {
          "label": string;
          "moved_at"?: string;
          "moved_by"?: string | null;
          "prompt_name": string;
          "provider"?: string;
          "tier"?: number | null;
          "variant"?: never;
          "version": number;
        };
        Update: {
          "label"?: string;
          "moved_at"?: string;
          "moved_by"?: string | null;
          "prompt_name"?: string;
          "provider"?: string;
          "tier"?: number | null;
          "variant"?: never;
          "version"?: number;
        };
        Relationships: [
          {
            foreignKeyName: "prompt_labels_prompt_name_fkey";
            columns: ["prompt_name"];
            isOneToOne: false;
            referencedRelation: "prompts";
            referencedColumns: ["name"];
          },
          {
            foreignKeyName: "prompt_labels_version_fkey";
            columns: ["prompt_name", "version"];
            isOneToOne: false;
            referencedRelation: "prompt_versions";
            referencedColumns: ["prompt_name", "version"];
          },
        ];
      };
      "prompt_runs": {
        Row: {
          "agent_name": string | null;
          "chat_id": string | null;
          "cost_usd": number | null;
          "created_at": string;
          "entry_id": string | null;
          "error_class": string | null;
          "error_message": string | null;
          "id": string;
          "input_tokens": number;
          "latency_ms": number;
          "message_id": string | null;
          "metadata": NonNullable<Json>;
          "model": string;
          "output_tokens": number;
          "prompt_name": string;
          "prompt_version": number;
          "started_at": string;
          "success": boolean;
          "ttft_ms": number | null;
          "user_id": string | null;
        };
        ComputedFields: never;
        Insert: {
          "agent_name"?: string | null;
          "chat_id"?: string | null;
          "cost_usd"?: number | null;
          "created_at"?: string;
          "entry_id"?: string | null;
          "error_class"?: string | null;
          "error_message"?: string | null;
          "id"?: string;
          "input_tokens"?: number;
          "latency_ms": number;
          "message_id"?: string | null;
          "metadata"?: NonNullable<Json>;
          "model": string;
          "output_tokens"?: number;
          "prompt_name": string;
          "prompt_version": number;
          "started_at": string;
          "success": boolean;
          "ttft_ms"?: number | null;
          "user_id"?: string | null;
        };
        Update: {
          "agent_name"?: string | null;
          "chat_id"?: string | null;
          "cost_usd"?: number | null;
          "created_at"?: string;
          "entry_id"?: string | null;
          "error_class"?: string | null;
          "error_message"?: string | null;
          "id"?: string;
          "input_tokens"?: number;
          "latency_ms"?: number;
          "message_id"?: string | null;
          "metadata"?: NonNullable<Json>;
          "model"?: string;
          "output_tokens"?: number;
          "prompt_name"?: string;
          "prompt_version"?: number;
          "started_at"?: string;
          "success"?: boolean;
          "ttft_ms"?: number | null;
          "user_id"?: string | null;
        };
        Relationships: [
          {
            foreignKeyName: "prompt_runs_chat_id_fkey";
            columns: ["chat_id"];
            isOneToOne: false;
            referencedRelation: "chats";
            referencedColumns: ["id"];
          },
          {
            foreignKeyName: "prompt_runs_entry_id_fkey";
            columns: ["entry_id"];
            isOneToOne: false;
            referencedRelation: "entries";
            referencedColumns: ["id"];
          },
          {
            foreignKeyName: "prompt_runs_prompt_version_fkey";
            columns: ["prompt_name", "prompt_version"];
            isOneToOne: false;
            referencedRelation: "prompt_versions";
            referencedColumns: ["prompt_name", "version"];
          },
        ];
      };
      "prompt_versions": {
        Row: {
          "commit_message": string | null;
          "created_at": string;
          "created_by": string | null;
          "id": string;
          "model": string | null;
          "params": NonNullable<Json>;
          "prompt_name": string;
          "provider": string;
          "template": string;
          "tier": number | null;
          "variables": (string)[];
          "variant": string;
          "version": number;
        };
        ComputedFields: never;
        Insert: {
          "commit_message"?: string | null;
          "created_at"?: string;
          "created_by"?: string | null;
          "id"?: string;
          "model"?: string | null;
          "params"?: NonNullable<Json>;
          "prompt_name": string;
          "provider"?: string;
          "template": string;
          "tier"?: number | null;
          "variables"?: never;
          "variant"?: never;
          "version": number;
        };
        Update: {
          "commit_message"?: string | null;
          "created_at"?: string;
          "created_by"?: string | null;
          "id"?: string;
          "model"?: string | null;
          "params"?: NonNullable<Json>;
          "prompt_name"?: string;
          "provider"?: string;
          "template"?: string;
          "tier"?: number | null;
          "variables"?: never;
          "variant"?: never;
          "version"?: number;
        };
        Relationships: [
          {
            foreignKeyName: "prompt_versions_prompt_name_fkey";
            columns: ["prompt_name"];
            isOneToOne: false;
            referencedRelation: "prompts";
            referencedColumns: ["name"];
          },
        ];
      };
      "prompts": {
        Row: {
          "created_at": string;
          "created_by": string | null;
          "description": string | null;
          "name": string;
          "tags": (string)[];
          "updated_at": string;
        };
        ComputedFields: never;
        Insert: {
          "created_at"?: string;
          "created_by"?: string | null;
          "description"?: string | null;
          "name": string;
          "tags"?: (string)[];
          "updated_at"?: string;
        };
        Update: {
          "created_at"?: string;
          "created_by"?: string | null;
          "description"?: string | null;
          "name"?: string;
          "tags"?: (string)[];
          "updated_at"?: string;
        };
        Relationships: [];
      };
      "provider_file_uploads": {
        Row: {
          "attachment_id": string;
          "created_by": string | null;
          "expires_at": string | null;
          "id": string;
          "last_used_at": string | null;
          "provider": string;
          "provider_file_id": string;
          "uploaded_at": string;
          "use_count": number;
        };
        ComputedFields: never;
        Insert: {
          "attachment_id": string;
          "created_by"?: string | null;
          "expires_at"?: string | null;
          "id"?: string;
          "last_used_at"?: string | null;
          "provider": string;
          "provider_file_id": string;
          "uploaded_at"?: string;
          "use_count"?: number;
        };
        Update: {
          "attachment_id"?: string;
          "created_by"?: string | null;
          "expires_at"?: string | null;
          "id"?: string;
          "last_used_at"?: string | null;
          "provider"?: string;
          "provider_file_id"?: string;
          "uploaded_at"?: string;
          "use_count"?: number;
        };
        Relationships: [
          {
            foreignKeyName: "provider_file_uploads_attachment_id_fkey";
            columns: ["attachment_id"];
            isOneToOne: false;
            referencedRelation: "attachments";
            referencedColumns: ["id"];
          },
        ];
      };
      "saved_views": {
        Row: {
          "client_id": string | null;
          "created_at": string;
          "created_xid": unknown;
          "deleted_at": string | null;
          "id": string;
          "name": string;
          "query": NonNullable<Json>;
          "updated_at": string;
          "updated_xid": unknown;
          "user_id": string;
        };
        ComputedFields: never;
        Insert: {
          "client_id"?: string | null;
          "created_at"?: string;
          "created_xid"?: unknown;
          "deleted_at"?: string | null;
          "id"?: string;
          "name": string;
          "query": NonNullable<Json>;
          "updated_at"?: string;
          "updated_xid"?: unknown;
          "user_id"?: string;
        };
        Update: {
          "client_id"?: string | null;
          "created_at"?: string;
          "created_xid"?: unknown;
          "deleted_at"?: string | null;
          "id"?: string;
          "name"?: string;
          "query"?: NonNullable<Json>;
          "updated_at"?: string;
          "updated_xid"?: unknown;
          "user_id"?: string;
        };
        Relationships: [];
      };
      "sync_aliases": {
        Row: {
          "alias_id": string;
          "created_at": string;
          "row_id": string;
          "table_name": string;
          "user_id": string;
        };
        ComputedFields: never;
        Insert: {
          "alias_id": string;
          "created_at"?: string;
          "row_id": string;
          "table_name": string;
          "user_id"?: string;
        };
        Update: {
          "alias_id"?: string;
          "created_at"?: string;
          "row_id"?: string;
          "table_name"?: string;
          "user_id"?: string;
        };
        Relationships: [];
      };
      "sync_conflicts": {
        Row: {
          "client_row": Json | null;
          "created_at": string;
          "id": number;
          "mutation_id": string;
          "reason": string;
          "row_id": string;
          "server_row": Json | null;
          "table_name": string;
          "user_id": string;
          "winner": string;
        };
        ComputedFields: never;
        Insert: {
          "client_row"?: Json | null;
          "created_at"?: string;
          "id"?: never;
          "mutation_id": string;
          "reason": string;
          "row_id": string;
          "server_row"?: Json | null;
          "table_name": string;
          "user_id"?: string;
          "winner": string;
        };
        Update: {
          "client_row"?: Json | null;
          "created_at"?: string;
          "id"?: never;
          "mutation_id"?: string;
          "reason"?: string;
          "row_id"?: string;
          "server_row"?: Json | null;
          "table_name"?: string;
          "user_id"?: string;
          "winner"?: string;
        };
        Relationships: [];
      };
      "sync_mutations": {
        Row: {
          "answer": NonNullable<Json>;
          "changes_hash": string;
          "created_at": string;
          "mutation_id": string;
          "user_id": string;
        };
        ComputedFields: never;
        Insert: {
          "answer": NonNullable<Json>;
          "changes_hash": string;
          "created_at"?: string;
          "mutation_id": string;
          "user_id"?: string;
        };
        Update: {
          "answer"?: NonNullable<Json>;
          "changes_hash"?: string;
          "created_at"?: string;
          "mutation_id"?: string;
          "user_id"?: string;
        };
        Relationships: [];
      };
      "sync_tombstones": {
        Row: {
          "deleted_at": string;
          "deleted_xid": unknown;
          "row_id": string;
          "table_name": string;
          "user_id": string;
        };
        ComputedFields: never;
        Insert: {
          "deleted_at"?: string;
          "deleted_xid"?: unknown;
          "row_id": string;
          "table_name": string;
          "user_id": string;
        };
        Update: {
          "deleted_at"?: string;
          "deleted_xid"?: unknown;
          "row_id"?: string;
          "table_name"?: string;
          "user_id"?: string;
        };
        Relationships: [];
      };
      "themes": {
        Row: {
          "category": string;
          "created_at": string;
          "description": string;
          "display_name": string;
          "id": string;
          "name": string;
        };
        ComputedFields: never;
        Insert: {
          "category": string;
          "created_at"?: string;
          "description": string;
          "display_name": string;
          "id"?: string;
          "name": string;
        };
        Update: {
          "category"?: string;
          "created_at"?: string;
          "description"?: string;
          "display_name"?: string;
          "id"?: string;
          "name"?: string;
        };
        Relationships: [];
      };
      "timers": {
        Row: {
          "created_at": string;
          "entry_id": string | null;
          "id": string;
          "label": string;
          "result_entry_id": string | null;
          "started_at": string;
          "stopped_at": string | null;
          "updated_at": string;
          "user_id": string;
        };
        ComputedFields: never;
        Insert: {
          "created_at"?: string;
          "entry_id"?: string | null;
          "id"?: string;
          "label": string;
          "result_entry_id"?: string | null;
          "started_at": string;
          "stopped_at"?: string | null;
          "updated_at"?: string;
          "user_id"?: string;
        };
        Update: {
          "created_at"?: string;
          "entry_id"?: string | null;
          "id"?: string;
          "label"?: string;
          "result_entry_id"?: string | null;
          "started_at"?: string;
          "stopped_at"?: string | null;
          "updated_at"?: string;
          "user_id"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "timers_entry_id_fkey";
            columns: ["entry_id"];
            isOneToOne: false;
            referencedRelation: "entries";
            referencedColumns: ["id"];
          },
          {
            foreignKeyName: "timers_result_entry_id_fkey";
            columns: ["result_entry_id"];
            isOneToOne: false;
            referencedRelation: "entries";
            referencedColumns: ["id"];
          },
        ];
      };
      "tracker_definitions": {
        Row: {
          "client_id": string | null;
          "created_at": string;
          "created_xid": unknown;
          "deleted_at": string | null;
          "id": string;
          "kind": string;
          "name": string;
          "unit": string | null;
          "updated_at": string;
          "updated_xid": unknown;
          "user_id": string;
        };
        ComputedFields: never;
        Insert: {
          "client_id"?: string | null;
          "created_at"?: string;
          "created_xid"?: unknown;
          "deleted_at"?: string | null;
          "id"?: string;
          "kind": string;
          "name": string;
          "unit"?: string | null;
          "updated_at"?: string;
          "updated_xid"?: unknown;
          "user_id"?: string;
        };
        Update: {
          "client_id"?: string | null;
          "created_at"?: string;
          "created_xid"?: unknown;
          "deleted_at"?: string | null;
          "id"?: string;
          "kind"?: string;
          "name"?: string;
          "unit"?: string | null;
          "updated_at"?: string;
          "updated_xid"?: unknown;
          "user_id"?: string;
        };
        Relationships: [];
      };
      "tracker_logs": {
        Row: {
          "client_id": string | null;
          "created_at": string;
          "created_xid": unknown;
          "deleted_at": string | null;
          "id": string;
          "note": string | null;
          "recorded_at": string;
          "tracker_id": string;
          "updated_at": string;
          "updated_xid": unknown;
          "user_id": string;
          "value": number;
        };
        ComputedFields: never;
        Insert: {
          "client_id"?: string | null;
          "created_at"?: string;
          "created_xid"?: unknown;
          "deleted_at"?: string | null;
          "id"?: string;
          "note"?: string | null;
          "recorded_at"?: string;
          "tracker_id": string;
          "updated_at"?: string;
          "updated_xid"?: unknown;
          "user_id"?: string;
          "value": number;
        };
        Update: {
          "client_id"?: string | null;
          "created_at"?: string;
          "created_xid"?: unknown;
          "deleted_at"?: string | null;
          "id"?: string;
          "note"?: string | null;
          "recorded_at"?: string;
          "tracker_id"?: string;
          "updated_at"?: string;
          "updated_xid"?: unknown;
          "user_id"?: string;
          "value"?: number;
        };
        Relationships: [
          {
            foreignKeyName: "tracker_logs_tracker_id_fkey";
            columns: ["tracker_id"];
            isOneToOne: false;
            referencedRelation: "tracker_definitions";
            referencedColumns: ["id"];
          },
        ];
      };
      "transcriptions": {
        Row: {
          "billed": boolean;
          "created_at": string;
          "entry_id": string | null;
          "id": string;
          "model": string;
          "provider": string;
          "request_id": string | null;
          "seconds": number;
          "user_id": string;
        };
        ComputedFields: never;
        Insert: {
          "billed": boolean;
          "created_at"?: string;
          "entry_id"?: string | null;
          "id"?: string;
          "model": string;
          "provider": string;
          "request_id"?: string | null;
          "seconds": number;
          "user_id": string;
        };
        Update: {
          "billed"?: boolean;
          "created_at"?: string;
          "entry_id"?: string | null;
          "id"?: string;
          "model"?: string;
          "provider"?: string;
          "request_id"?: string | null;
          "seconds"?: number;
          "user_id"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "transcriptions_entry_id_fkey";
            columns: ["entry_id"];
            isOneToOne: false;
            referencedRelation: "entries";
            referencedColumns: ["id"];
          },
        ];
      };
      "usage_events": {
        Row: {
          "agent_name": string | null;
          "billed": boolean;
          "chat_id": string | null;
          "cost_usd": number | null;
          "created_at": string;
          "id": number;
          "input_tokens": number | null;
          "kind": string;
          "model": string | null;
          "occurred_at": string;
          "output_tokens": number | null;
          "quantity": number;
          "source_id": string;
          "source_table": string;
          "user_id": string;
        };
        ComputedFields: never;
        Insert: {
          "agent_name"?: string | null;
          "billed": boolean;
          "chat_id"?: string | null;
          "cost_usd"?: number | null;
          "created_at"?: string;
          "id"?: never;
          "input_tokens"?: number | null;
          "kind": string;
          "model"?: string | null;
          "occurred_at": string;
          "output_tokens"?: number | null;
          "quantity": number;
          "source_id": string;
          "source_table": string;
          "user_id": string;
        };
        Update: {
          "agent_name"?: string | null;
          "billed"?: boolean;
          "chat_id"?: string | null;
          "cost_usd"?: number | null;
          "created_at"?: string;
          "id"?: never;
          "input_tokens"?: number | null;
          "kind"?: string;
          "model"?: string | null;
          "occurred_at"?: string;
          "output_tokens"?: number | null;
          "quantity"?: number;
          "source_id"?: string;
          "source_table"?: string;
          "user_id"?: string;
        };
        Relationships: [];
      };
      "usage_prices": {
        Row: {
          "effective_from": string;
          "kind": string;
          "model": string;
          "observed_on": string;
          "source": string;
          "unit": string;
          "usd_per_unit": number;
        };
        ComputedFields: never;
        Insert: {
          "effective_from": string;
          "kind": string;
          "model": string;
          "observed_on": string;
          "source": string;
          "unit": string;
          "usd_per_unit": number;
        };
        Update: {
          "effective_from"?: string;
          "kind"?: string;
          "model"?: string;
          "observed_on"?: string;
          "source"?: string;
          "unit"?: string;
          "usd_per_unit"?: number;
        };
        Relationships: [];
      };
      "voice_sessions": {
        Row: {
          "agent_id": string | null;
          "chat_id": string | null;
          "created_at": string;
          "ended_at": string | null;
          "ended_by": string | null;
          "id": string;
          "metadata": NonNullable<Json>;
          "provider": string;
          "provider_session_id": string;
          "seconds": number | null;
          "started_at": string;
          "updated_at": string;
          "user_id": string;
        };
        ComputedFields: never;
        Insert: {
          "agent_id"?: string | null;
          "chat_id"?: string | null;
          "created_at"?: string;
          "ended_at"?: string | null;
          "ended_by"?: string | null;
          "id"?: string;
          "metadata"?: NonNullable<Json>;
          "provider"?: string;
          "provider_session_id": string;
          "seconds"?: number | null;
          "started_at"?: string;
          "updated_at"?: string;
          "user_id"?: string;
        };
        Update: {
          "agent_id"?: string | null;
          "chat_id"?: string | null;
          "created_at"?: string;
          "ended_at"?: string | null;
          "ended_by"?: string | null;
          "id"?: string;
          "metadata"?: NonNullable<Json>;
          "provider"?: string;
          "provider_session_id"?: string;
          "seconds"?: number | null;
          "started_at"?: string;
          "updated_at"?: string;
          "user_id"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "voice_sessions_agent_id_fkey";
            columns: ["agent_id"];
            isOneToOne: false;
            referencedRelation: "agents";
            referencedColumns: ["id"];
          },
          {
            foreignKeyName: "voice_sessions_chat_id_fkey";
            columns: ["chat_id"];
            isOneToOne: false;
            referencedRelation: "chats";
            referencedColumns: ["id"];
          },
        ];
      };
      "workout_rows": {
        Row: {
          "distance": number | null;
          "duration": number | null;
          "exercise": string;
          "notes": string | null;
          "position": number;
          "reps": number | null;
          "sets": number | null;
          "user_id": string;
          "weight": number | null;
          "workout_id": string;
        };
        ComputedFields: never;
        Insert: {
          "distance"?: number | null;
          "duration"?: number | null;
          "exercise": string;
          "notes"?: string | null;
          "position": number;
          "reps"?: number | null;
          "sets"?: number | null;
          "user_id"?: string;
          "weight"?: number | null;
          "workout_id": string;
        };
        Update: {
          "distance"?: number | null;
          "duration"?: number | null;
          "exercise"?: string;
          "notes"?: string | null;
          "position"?: number;
          "reps"?: number | null;
          "sets"?: number | null;
          "user_id"?: string;
          "weight"?: number | null;
          "workout_id"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "workout_rows_workout_id_fkey";
            columns: ["workout_id"];
            isOneToOne: false;
            referencedRelation: "workouts";
            referencedColumns: ["id"];
          },
        ];
      };
      "workouts": {
        Row: {
          "client_id": string | null;
          "created_at": string;
          "created_xid": unknown;
          "deleted_at": string | null;
          "ended_at": string | null;
          "entry_id": string | null;
          "id": string;
          "kind": string;
          "started_at": string;
          "updated_at": string;
          "updated_xid": unknown;
          "user_id": string;
        };
        ComputedFields: never;
        Insert: {
          "client_id"?: string | null;
          "created_at"?: string;
          "created_xid"?: unknown;
          "deleted_at"?: string | null;
          "ended_at"?: string | null;
          "entry_id"?: string | null;
          "id"?: string;
          "kind": string;
          "started_at": string;
          "updated_at"?: string;
          "updated_xid"?: unknown;
          "user_id"?: string;
        };
        Update: {
          "client_id"?: string | null;
          "created_at"?: string;
          "created_xid"?: unknown;
          "deleted_at"?: string | null;
          "ended_at"?: string | null;
          "entry_id"?: string | null;
          "id"?: string;
          "kind"?: string;
          "started_at"?: string;
          "updated_at"?: string;
          "updated_xid"?: unknown;
          "user_id"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "workouts_entry_id_fkey";
            columns: ["entry_id"];
            isOneToOne: false;
            referencedRelation: "entries";
            referencedColumns: ["id"];
          },
        ];
      };
    };
    Views: {
      [_ in never]: never;
    };
    Functions: {
      "add_artifact_version": {
        Args: {
          "artifact_id": string;
          "change_summary"?: string;
          "content"?: string;
          "content_json"?: Json;
          "expected_version"?: number;
          "file_path"?: string;
          "message_id"?: string;
        };
        Returns: Json;
      };
      "add_chat_member": {
        Args: { "chat_id": string; "role": string; "user_id": string };
        Returns: {
          "added_by": string | null;
          "chat_id": string;
          "created_at": string;
          "role": string;
          "updated_at": string;
          "user_id": string;
        };
        SetofOptions: {
          from: "*";
          to: "chat_members";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "add_entry_segments": {
        Args: { "entry_id": string; "segments": Json };
        Returns: {
          "client_id": string | null;
          "content": string;
          "created_at": string;
          "duration_ms": number | null;
          "entry_id": string;
          "id": string;
          "kind": string;
          "offset_ms": number | null;
          "position": number;
          "recorded_at": string | null;
          "user_id": string;
        }[];
        SetofOptions: {
          from: "*";
          to: "entry_segments";
          isOneToOne: false;
          isSetofReturn: true;
        };
      };
      "append_message": {
        Args: {
          "agent_model"?: string;
          "agent_name"?: string;
          "chat_id": string;
          "client_message_id"?: string;
          "content": string;
          "input_tokens"?: number;
          "intent"?: string;
          "latency_ms"?: number;
          "metadata"?: Json;
          "output_tokens"?: number;
          "parent_id"?: string;
          "parts"?: Json;
          "role": string;
          "status"?: string;
        };
        Returns: Database["public"]["CompositeTypes"]["chat_message"];
        SetofOptions: {
          from: "*";
          to: "chat_message";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "check_quota": {
        Args: { "kind": string; "user_id"?: string };
        Returns: Database["public"]["CompositeTypes"]["quota"];
        SetofOptions: {
          from: "*";
          to: "quota";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "compare_prompt_versions": {
        Args: { "a": number; "b": number; "from"?: string; "name": string; "to"?: string };
        Returns: Json;
      };
      "create_agent": {
        Args: {
          "default_model"?: string;
          "description"?: string;
          "display_name": string;
          "icon"?: string;
          "kind"?: string;
          "metadata"?: Json;
          "name": string;
          "prompt_name"?: string;
        };
        Returns: {
          "created_at": string;
          "default_model": string | null;
          "description": string | null;
          "display_name": string;
          "icon": string | null;
          "id": string;
          "kind": string;
          "metadata": NonNullable<Json>;
          "name": string;
          "owner_id": string | null;
          "prompt_name": string | null;
          "updated_at": string;
        };
        SetofOptions: {
          from: "*";
          to: "agents";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "create_artifact_with_version": {
        Args: {
          "change_summary"?: string;
          "chat_id": string;
          "content": string;
          "content_json": Json;
          "description"?: string;
          "message_id": string;
          "project_id": string;
          "title": string;
          "type": string;
        };
        Returns: Json;
      };
      "create_chat": {
        Args: {
          "agent_id"?: string;
          "continuation_id"?: string;
          "entry_id"?: string;
          "expires_at"?: string;
          "metadata"?: Json;
          "phase"?: string;
          "project_id"?: string;
          "title"?: string;
        };
        Returns: {
          "agent_id": string | null;
          "archived": boolean;
          "continuation_id": string | null;
          "created_at": string;
          "current_leaf_depth": number;
          "current_leaf_ends_segment": boolean;
          "current_leaf_head_depth": number | null;
          "current_leaf_id": string | null;
          "current_leaf_parent_id": string | null;
          "current_leaf_segment_start": number | null;
          "entry_id": string | null;
          "expires_at": string | null;
          "forked_from_chat_id": string | null;
          "forked_from_message_id": string | null;
          "id": string;
          "input_tokens": number;
          "last_activity_at": string;
          "last_activity_minute": string;
          "last_message_at": string | null;
          "last_sequence_number": number;
          "message_count": number;
          "metadata": NonNullable<Json>;
          "output_tokens": number;
          "owner_id": string;
          "phase": string | null;
          "pinned": boolean;
          "project_id": string | null;
          "title": string | null;
          "ttl": string | null;
          "updated_at": string;
        };
        SetofOptions: {
          from: "*";
          to: "chats";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "create_dream": {
        Args: {
          "audio_path"?: string;
          "client_id"?: string;
          "content"?: string;
          "dreamt_on"?: string;
          "lucid"?: boolean;
          "mood"?: string;
          "title"?: string;
        };
        Returns: Json;
      };
      "create_project": {
        Args: {
          "category"?: string;
          "currency"?: string;
          "description"?: string;
          "goal"?: string;
          "location"?: string;
          "metadata"?: Json;
          "name": string;
          "target_budget"?: number;
        };
        Returns: {
          "category": string | null;
          "client_id": string | null;
          "created_at": string;
          "created_xid": unknown;
          "currency": string;
          "current_step": string | null;
          "description": string | null;
          "goal": string | null;
          "id": string;
          "location": string | null;
          "metadata": NonNullable<Json>;
          "name": string;
          "owner_id": string;
          "status": string;
          "target_budget": number | null;
          "updated_at": string;
          "updated_xid": unknown;
        };
        SetofOptions: {
          from: "*";
          to: "projects";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "create_prompt_version": {
        Args: {
          "commit_message"?: string;
          "description"?: string;
          "labels"?: (string)[];
          "model"?: string;
          "name": string;
          "params"?: Json;
          "provider"?: string;
          "tags"?: (string)[];
          "template": string;
          "tier"?: number;
        };
        Returns: Json;
      };
      "delete_attachment": { Args: { "attachment_id": string }; Returns: boolean };
      "delete_chat": { Args: { "chat_id": string }; Returns: boolean };
      "delete_document": { Args: { "document_id": string }; Returns: boolean };
      "delete_entry": {
        Args: { "entry_id": string };
        Returns: {
          "body_markdown": string | null;
          "client_id": string | null;
          "created_at": string;
          "created_xid": unknown;
          "deleted_at": string | null;
          "due_at": string | null;
          "ends_at": string | null;
          "facets": (string)[];
          "frontmatter": NonNullable<Json>;
          "id": string;
          "occurred_at": string;
          "source_app": string | null;
          "starts_at": string | null;
          "status": string | null;
          "title": string | null;
          "updated_at": string;
          "updated_xid": unknown;
          "user_id": string;
        };
        SetofOptions: {
          from: "*";
          to: "entries";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "delete_project": { Args: { "project_id": string }; Returns: boolean };
      "delete_view": {
        Args: { "view_id": string };
        Returns: {
          "client_id": string | null;
          "created_at": string;
          "created_xid": unknown;
          "deleted_at": string | null;
          "id": string;
          "name": string;
          "query": NonNullable<Json>;
          "updated_at": string;
          "updated_xid": unknown;
          "user_id": string;
        };
        SetofOptions: {
          from: "*";
          to: "saved_views";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "diff_artifact_versions": {
        Args: { "artifact_id": string; "from_version": number; "to_version": number };
        Returns: Json;
      };
      "diff_prompt_versions": { Args: { "from_version": number; "name": string; "to_version": number }; Returns: Json };
      "edit_message": {
        Args: { "client_message_id"?: string; "content": string; "message_id": string };
        Returns: Database["public"]["CompositeTypes"]["chat_message"];
        SetofOptions: {
          from: "*";
          to: "chat_message";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "end_voice_session": {
        Args: { "provider"?: string; "provider_session_id"?: string; "seconds"?: number; "voice_session_id"?: string };
        Returns: {
          "agent_id": string | null;
          "chat_id": string | null;
          "created_at": string;
          "ended_at": string | null;
          "ended_by": string | null;
          "id": string;
          "metadata": NonNullable<Json>;
          "provider": string;
          "provider_session_id": string;
          "seconds": number | null;
          "started_at": string;
          "updated_at": string;
          "user_id": string;
        };
        SetofOptions: {
          from: "*";
          to: "voice_sessions";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "export_bom_csv": { Args: { "artifact_id": string; "version"?: number }; Returns: string };
      "find_provider_file": {
        Args: { "attachment_id": string; "provider": string };
        Returns: {
          "attachment_id": string;
          "created_by": string | null;
          "expires_at": string | null;
          "id": string;
          "last_used_at": string | null;
          "provider": string;
          "provider_file_id": string;
          "uploaded_at": string;
          "use_count": number;
        }[];
        SetofOptions: {
          from: "*";
          to: "provider_file_uploads";
          isOneToOne: false;
          isSetofReturn: true;
        };
      };
      "fork_chat": {
        Args: { "chat_id"?: string; "token"?: string; "up_to_message_id"?: string };
        Returns: {
          "agent_id": string | null;
          "archived": boolean;
          "continuation_id": string | null;
          "created_at": string;
          "current_leaf_depth": number;
          "current_leaf_ends_segment": boolean;
          "current_leaf_head_depth": number | null;
          "current_leaf_id": string | null;
          "current_leaf_parent_id": string | null;
          "current_leaf_segment_start": number | null;
          "entry_id": string | null;
          "expires_at": string | null;
          "forked_from_chat_id": string | null;
          "forked_from_message_id": string | null;
          "id": string;
          "input_tokens": number;
          "last_activity_at": string;
          "last_activity_minute": string;
          "last_message_at": string | null;
          "last_sequence_number": number;
          "message_count": number;
          "metadata": NonNullable<Json>;
          "output_tokens": number;
          "owner_id": string;
          "phase": string | null;
          "pinned": boolean;
          "project_id": string | null;
          "title": string | null;
          "ttl": string | null;
          "updated_at": string;
        };
        SetofOptions: {
          from: "*";
          to: "chats";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "get_artifact": { Args: { "artifact_id": string; "version"?: number }; Returns: Json };
      "get_chat_by_continuation": {
        Args: { "continuation_id": string };
        Returns: {
          "agent_id": string | null;
          "archived": boolean;
          "continuation_id": string | null;
          "created_at": string;
          "current_leaf_depth": number;
          "current_leaf_ends_segment": boolean;
          "current_leaf_head_depth": number | null;
          "current_leaf_id": string | null;
          "current_leaf_parent_id": string | null;
          "current_leaf_segment_start": number | null;
          "entry_id": string | null;
          "expires_at": string | null;
          "forked_from_chat_id": string | null;
          "forked_from_message_id": string | null;
          "id": string;
          "input_tokens": number;
          "last_activity_at": string;
          "last_activity_minute": string;
          "last_message_at": string | null;
          "last_sequence_number": number;
          "message_count": number;
          "metadata": NonNullable<Json>;
          "output_tokens": number;
          "owner_id": string;
          "phase": string | null;
          "pinned": boolean;
          "project_id": string | null;
          "title": string | null;
          "ttl": string | null;
          "updated_at": string;
        };
        SetofOptions: {
          from: "*";
          to: "chats";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "get_embedding_models": {
        Args: Record<PropertyKey, never>;
        Returns: {
          "active": boolean;
          "batch_size": number;
          "created_at": string;
          "description": string | null;
          "dimensions": number;
          "enabled": boolean;
          "max_input_chars": number;
          "name": string;
          "options": NonNullable<Json>;
          "provider": string;
          "provider_model": string;
        }[];
        SetofOptions: {
          from: "*";
          to: "embedding_models";
          isOneToOne: false;
          isSetofReturn: true;
        };
      };
      "get_embedding_status": { Args: Record<PropertyKey, never>; Returns: Json };
      "get_entry": { Args: { "entry_id": string }; Returns: Json };
      "get_habit_stats": { Args: { "from"?: string; "habit_id": string; "to"?: string }; Returns: Json };
      "get_message_siblings": {
        Args: { "message_id": string };
        Returns: {
          "agent_model": string;
          "agent_name": string;
          "content": string;
          "created_at": string;
          "id": string;
          "leaf_id": string;
          "on_current_branch": boolean;
          "role": string;
          "sequence_number": number;
          "sibling_count": number;
          "sibling_index": number;
          "status": string;
        }[];
      };
      "get_messages": {
        Args: { "after"?: number; "before"?: number; "chat_id": string; "leaf_id"?: string; "limit"?: number };
        Returns: Database["public"]["CompositeTypes"]["chat_message"][];
        SetofOptions: {
          from: "*";
          to: "chat_message";
          isOneToOne: false;
          isSetofReturn: true;
        };
      };
      "get_my_profile": {
        Args: Record<PropertyKey, never>;
        Returns: {
          "avatar_url": string | null;
          "created_at": string;
          "display_name": string | null;
          "id": string;
          "plan": string | null;
          "settings": NonNullable<Json>;
          "timezone": string;
          "updated_at": string;
        };
        SetofOptions: {
          from: "*";
          to: "profiles";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "get_nutrition_summary": {
        Args: { "from": string; "to": string };
        Returns: {
          "calories": number;
          "carbs": number;
          "day": string;
          "fat": number;
          "items": number;
          "meals": number;
          "protein": number;
        }[];
      };
      "get_project": { Args: { "project_id": string }; Returns: Json };
      "get_prompt": {
        Args: { "label"?: string; "name": string; "provider"?: string; "tier"?: number; "version"?: number };
        Returns: Database["public"]["CompositeTypes"]["prompt_template"];
        SetofOptions: {
          from: "*";
          to: "prompt_template";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "get_prompt_performance": {
        Args: { "from"?: string; "name": string; "to"?: string };
        Returns: {
          "avg_cost_usd": number;
          "avg_input_tokens": number;
          "avg_output_tokens": number;
          "first_run_at": string;
          "labels": (string)[];
          "last_run_at": string;
          "model": string;
          "p50_latency_ms": number;
          "p50_ttft_ms": number;
          "p95_latency_ms": number;
          "p95_ttft_ms": number;
          "runs": number;
          "success_rate": number;
          "successes": number;
          "total_cost_usd": number;
          "unpriced_runs": number;
          "variant": string;
          "version": number;
        }[];
      };
      "get_shared_chat": {
        Args: { "after"?: number; "before"?: number; "limit"?: number; "token": string };
        Returns: Json;
      };
      "get_tracker_series": {
        Args: { "bucket": string; "from": string; "to": string; "tracker_id": string };
        Returns: {
          "avg": number;
          "bucket_end": string;
          "bucket_start": string;
          "count": number;
          "max": number;
          "min": number;
          "sum": number;
        }[];
      };
      "get_usage": {
        Args: {
          "from"?: string;
          "group_by"?: string;
          "include_client_reported"?: boolean;
          "kinds"?: (string)[];
          "to"?: string;
        };
        Returns: {
          "cost_usd": number;
          "events": number;
          "group_key": string;
          "input_tokens": number;
          "kind": string;
          "label": string;
          "messages": number;
          "output_tokens": number;
          "quantity": number;
          "source": string;
          "unpriced_events": number;
          "unpriced_messages": number;
        }[];
      };
      "hide_artifact": {
        Args: { "artifact_id": string };
        Returns: {
          "chat_id": string | null;
          "created_at": string;
          "created_by_message_id": string | null;
          "current_version": number;
          "current_version_id": string | null;
          "description": string | null;
          "entry_id": string | null;
          "hidden_at": string | null;
          "hidden_by": string | null;
          "id": string;
          "owner_id": string;
          "project_id": string | null;
          "title": string;
          "total_versions": number;
          "type": string;
          "updated_at": string;
        };
        SetofOptions: {
          from: "*";
          to: "artifacts";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "hybrid_search": {
        Args: {
          "full_text_weight"?: number;
          "match_count"?: number;
          "model"?: string;
          "query_embedding"?: string;
          "query_text": string;
          "rrf_k"?: number;
          "semantic_weight"?: number;
          "sources"?: (string)[];
        };
        Returns: Database["public"]["CompositeTypes"]["hybrid_search_hit"][];
        SetofOptions: {
          from: "*";
          to: "hybrid_search_hit";
          isOneToOne: false;
          isSetofReturn: true;
        };
      };
      "ingest_document": {
        Args: {
          "agent_id"?: string;
          "content_markdown"?: string;
          "metadata"?: Json;
          "source_url"?: string;
          "title"?: string;
        };
        Returns: Json;
      };
      "link_attachment": {
        Args: { "attachment_id": string; "chat_id"?: string; "entry_id"?: string; "message_id"?: string };
        Returns: Json;
      };
      "link_entry_goal": { Args: { "entry_id": string; "goal_id": string }; Returns: boolean };
      "link_external_event": {
        Args: { "entry_id"?: string; "etag"?: string; "external_id"?: string; "provider"?: string };
        Returns: {
          "created_at": string;
          "entry_id": string;
          "etag": string | null;
          "external_id": string;
          "id": string;
          "provider": string;
          "updated_at": string;
          "user_id": string;
        };
        SetofOptions: {
          from: "*";
          to: "external_event_links";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "link_project_goal": { Args: { "goal_id": string; "project_id": string }; Returns: boolean };
      "list_agents": {
        Args: Record<PropertyKey, never>;
        Returns: {
          "created_at": string;
          "default_model": string | null;
          "description": string | null;
          "display_name": string;
          "icon": string | null;
          "id": string;
          "kind": string;
          "metadata": NonNullable<Json>;
          "name": string;
          "owner_id": string | null;
          "prompt_name": string | null;
          "updated_at": string;
        }[];
        SetofOptions: {
          from: "*";
          to: "agents";
          isOneToOne: false;
          isSetofReturn: true;
        };
      };
      "list_artifact_versions": {
        Args: { "artifact_id": string };
        Returns: {
          "change_summary": string;
          "content_hash": string;
          "created_at": string;
          "created_by": string;
          "created_by_message_id": string;
          "id": string;
          "parent_version_id": string;
          "parent_version_number": number;
          "reverted_from_version_id": string;
          "version_number": number;
        }[];
      };
      "list_artifacts": {
        Args: { "chat_id"?: string; "include_hidden"?: boolean; "project_id"?: string; "type"?: string };
        Returns: {
          "chat_id": string | null;
          "created_at": string;
          "created_by_message_id": string | null;
          "current_version": number;
          "current_version_id": string | null;
          "description": string | null;
          "entry_id": string | null;
          "hidden_at": string | null;
          "hidden_by": string | null;
          "id": string;
          "owner_id": string;
          "project_id": string | null;
          "title": string;
          "total_versions": number;
          "type": string;
          "updated_at": string;
        }[];
        SetofOptions: {
          from: "*";
          to: "artifacts";
          isOneToOne: false;
          isSetofReturn: true;
        };
      };
      "list_attachments": {
        Args: { "before"?: string; "chat_id"?: string; "entry_id"?: string; "limit"?: number };
        Returns: Json[];
      };
      "list_chats": {
        Args: { "before"?: string; "include_archived"?: boolean; "limit"?: number };
        Returns: {
          "agent_id": string | null;
          "archived": boolean;
          "continuation_id": string | null;
          "created_at": string;
          "current_leaf_depth": number;
          "current_leaf_ends_segment": boolean;
          "current_leaf_head_depth": number | null;
          "current_leaf_id": string | null;
          "current_leaf_parent_id": string | null;
          "current_leaf_segment_start": number | null;
          "entry_id": string | null;
          "expires_at": string | null;
          "forked_from_chat_id": string | null;
          "forked_from_message_id": string | null;
          "id": string;
          "input_tokens": number;
          "last_activity_at": string;
          "last_activity_minute": string;
          "last_message_at": string | null;
          "last_sequence_number": number;
          "message_count": number;
          "metadata": NonNullable<Json>;
          "output_tokens": number;
          "owner_id": string;
          "phase": string | null;
          "pinned": boolean;
          "project_id": string | null;
          "title": string | null;
          "ttl": string | null;
          "updated_at": string;
        }[];
        SetofOptions: {
          from: "*";
          to: "chats";
          isOneToOne: false;
          isSetofReturn: true;
        };
      };
      "list_documents": { Args: { "agent_id"?: string }; Returns: Json };
      "list_entities": {
        Args: { "limit"?: number; "query"?: string; "type"?: string };
        Returns: {
          "client_id": string | null;
          "created_at": string;
          "created_xid": unknown;
          "deleted_at": string | null;
          "display_name": string;
          "id": string;
          "key": string;
          "merged_into_id": string | null;
          "metadata": NonNullable<Json>;
          "type": string;
          "updated_at": string;
          "updated_xid": unknown;
          "user_id": string;
        }[];
        SetofOptions: {
          from: "*";
          to: "entities";
          isOneToOne: false;
          isSetofReturn: true;
        };
      };
      "list_entries": {
        Args: {
          "before"?: string;
          "entity_id"?: string;
          "facet"?: string;
          "from"?: string;
          "goal_id"?: string;
          "include_deleted"?: boolean;
          "limit"?: number;
          "to"?: string;
        };
        Returns: {
          "body_markdown": string | null;
          "client_id": string | null;
          "created_at": string;
          "created_xid": unknown;
          "deleted_at": string | null;
          "due_at": string | null;
          "ends_at": string | null;
          "facets": (string)[];
          "frontmatter": NonNullable<Json>;
          "id": string;
          "occurred_at": string;
          "source_app": string | null;
          "starts_at": string | null;
          "status": string | null;
          "title": string | null;
          "updated_at": string;
          "updated_xid": unknown;
          "user_id": string;
        }[];
        SetofOptions: {
          from: "*";
          to: "entries";
          isOneToOne: false;
          isSetofReturn: true;
        };
      };
      "list_goals": {
        Args: Record<PropertyKey, never>;
        Returns: {
          "client_id": string;
          "created_at": string;
          "entry_count": number;
          "id": string;
          "parent_id": string;
          "project_ids": (string)[];
          "status": string;
          "target_date": string;
          "title": string;
          "updated_at": string;
        }[];
      };
      "list_habits": {
        Args: Record<PropertyKey, never>;
        Returns: {
          "client_id": string | null;
          "created_at": string;
          "created_xid": unknown;
          "deleted_at": string | null;
          "id": string;
          "name": string;
          "schedule": NonNullable<Json>;
          "target": number;
          "updated_at": string;
          "updated_xid": unknown;
          "user_id": string;
        }[];
        SetofOptions: {
          from: "*";
          to: "habit_definitions";
          isOneToOne: false;
          isSetofReturn: true;
        };
      };
      "list_projects": {
        Args: Record<PropertyKey, never>;
        Returns: {
          "category": string | null;
          "client_id": string | null;
          "created_at": string;
          "created_xid": unknown;
          "currency": string;
          "current_step": string | null;
          "description": string | null;
          "goal": string | null;
          "id": string;
          "location": string | null;
          "metadata": NonNullable<Json>;
          "name": string;
          "owner_id": string;
          "status": string;
          "target_budget": number | null;
          "updated_at": string;
          "updated_xid": unknown;
        }[];
        SetofOptions: {
          from: "*";
          to: "projects";
          isOneToOne: false;
          isSetofReturn: true;
        };
      };
      "list_prompt_versions": {
        Args: { "name": string };
        Returns: {
          "commit_message": string;
          "created_at": string;
          "created_by": string;
          "labels": (string)[];
          "model": string;
          "params": Json;
          "provider": string;
          "tier": number;
          "variables": (string)[];
          "variant": string;
          "version": number;
          "version_id": string;
        }[];
      };
      "list_shares": {
        Args: { "chat_id": string };
        Returns: {
          "active": boolean;
          "created_at": string;
          "created_by": string;
          "expires_at": string;
          "revoked_at": string;
          "share_id": string;
          "up_to_message_id": string;
        }[];
      };
      "list_sync_conflicts": {
        Args: { "before"?: number; "limit"?: number };
        Returns: {
          "client_row": Json | null;
          "created_at": string;
          "id": number;
          "mutation_id": string;
          "reason": string;
          "row_id": string;
          "server_row": Json | null;
          "table_name": string;
          "user_id": string;
          "winner": string;
        }[];
        SetofOptions: {
          from: "*";
          to: "sync_conflicts";
          isOneToOne: false;
          isSetofReturn: true;
        };
      };
      "list_themes": {
        Args: Record<PropertyKey, never>;
        Returns: {
          "category": string;
          "created_at": string;
          "description": string;
          "display_name": string;
          "id": string;
          "name": string;
        }[];
        SetofOptions: {
          from: "*";
          to: "themes";
          isOneToOne: false;
          isSetofReturn: true;
        };
      };
      "list_timers": {
        Args: { "running_only"?: boolean };
        Returns: {
          "created_at": string;
          "entry_id": string | null;
          "id": string;
          "label": string;
          "result_entry_id": string | null;
          "started_at": string;
          "stopped_at": string | null;
          "updated_at": string;
          "user_id": string;
        }[];
        SetofOptions: {
          from: "*";
          to: "timers";
          isOneToOne: false;
          isSetofReturn: true;
        };
      };
      "list_trackers": {
        Args: Record<PropertyKey, never>;
        Returns: {
          "client_id": string | null;
          "created_at": string;
          "created_xid": unknown;
          "deleted_at": string | null;
          "id": string;
          "kind": string;
          "name": string;
          "unit": string | null;
          "updated_at": string;
          "updated_xid": unknown;
          "user_id": string;
        }[];
        SetofOptions: {
          from: "*";
          to: "tracker_definitions";
          isOneToOne: false;
          isSetofReturn: true;
        };
      };
      "list_views": {
        Args: Record<PropertyKey, never>;
        Returns: {
          "client_id": string | null;
          "created_at": string;
          "created_xid": unknown;
          "deleted_at": string | null;
          "id": string;
          "name": string;
          "query": NonNullable<Json>;
          "updated_at": string;
          "updated_xid": unknown;
          "user_id": string;
        }[];
        SetofOptions: {
          from: "*";
          to: "saved_views";
          isOneToOne: false;
          isSetofReturn: true;
        };
      };
      "log_habit": {
        Args: { "date"?: string; "habit_id": string; "note"?: string; "value"?: number };
        Returns: {
          "client_id": string | null;
          "created_at": string;
          "created_xid": unknown;
          "deleted_at": string | null;
          "habit_id": string;
          "id": string;
          "local_date": string;
          "note": string | null;
          "updated_at": string;
          "updated_xid": unknown;
          "user_id": string;
          "value": number;
        };
        SetofOptions: {
          from: "*";
          to: "habit_instances";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "log_meal": {
        Args: { "client_id"?: string; "eaten_at"?: string; "entry_id"?: string; "items"?: Json; "meal_type"?: string };
        Returns: Json;
      };
      "log_tracker": {
        Args: { "at"?: string; "client_id"?: string; "note"?: string; "tracker_id": string; "value": number };
        Returns: {
          "client_id": string | null;
          "created_at": string;
          "created_xid": unknown;
          "deleted_at": string | null;
          "id": string;
          "note": string | null;
          "recorded_at": string;
          "tracker_id": string;
          "updated_at": string;
          "updated_xid": unknown;
          "user_id": string;
          "value": number;
        };
        SetofOptions: {
          from: "*";
          to: "tracker_logs";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "log_workout": {
        Args: {
          "client_id"?: string;
          "ended_at"?: string;
          "entry_id"?: string;
          "kind"?: string;
          "rows"?: Json;
          "started_at"?: string;
        };
        Returns: Json;
      };
      "match_document_chunks": {
        Args: {
          "agent_id"?: string;
          "match_count"?: number;
          "match_threshold"?: number;
          "model"?: string;
          "query_embedding": string;
        };
        Returns: Database["public"]["CompositeTypes"]["document_chunk_match"][];
        SetofOptions: {
          from: "*";
          to: "document_chunk_match";
          isOneToOne: false;
          isSetofReturn: true;
        };
      };
      "merge_entities": {
        Args: { "from_id": string; "into_id": string };
        Returns: {
          "client_id": string | null;
          "created_at": string;
          "created_xid": unknown;
          "deleted_at": string | null;
          "display_name": string;
          "id": string;
          "key": string;
          "merged_into_id": string | null;
          "metadata": NonNullable<Json>;
          "type": string;
          "updated_at": string;
          "updated_xid": unknown;
          "user_id": string;
        };
        SetofOptions: {
          from: "*";
          to: "entities";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "pull_changes": { Args: { "cursor"?: string; "limit"?: number; "tables"?: (string)[] }; Returns: Json };
      "push_changes": {
        Args: { "changes"?: Json; "last_pulled_cursor"?: string; "mutation_id"?: string };
        Returns: Json;
      };
      "record_conversation": {
        Args: {
          "agent_name"?: string;
          "continuation_id": string;
          "messages": Json;
          "title"?: string;
          "ttl_seconds"?: number;
        };
        Returns: Database["public"]["CompositeTypes"]["recorded_conversation"];
        SetofOptions: {
          from: "*";
          to: "recorded_conversation";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "record_provider_upload": {
        Args: {
          "attachment_id": string;
          "expires_at"?: string;
          "provider": string;
          "provider_file_id": string;
          "uploaded_at"?: string;
        };
        Returns: {
          "attachment_id": string;
          "created_by": string | null;
          "expires_at": string | null;
          "id": string;
          "last_used_at": string | null;
          "provider": string;
          "provider_file_id": string;
          "uploaded_at": string;
          "use_count": number;
        };
        SetofOptions: {
          from: "*";
          to: "provider_file_uploads";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "record_transcription": {
        Args: {
          "entry_id"?: string;
          "model": string;
          "provider": string;
          "request_id"?: string;
          "seconds": number;
          "user_id"?: string;
        };
        Returns: {
          "billed": boolean;
          "created_at": string;
          "entry_id": string | null;
          "id": string;
          "model": string;
          "provider": string;
          "request_id": string | null;
          "seconds": number;
          "user_id": string;
        };
        SetofOptions: {
          from: "*";
          to: "transcriptions";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "remove_chat_member": { Args: { "chat_id": string; "user_id": string }; Returns: boolean };
      "request_dream_image": {
        Args: { "entry_id": string; "prompt": string };
        Returns: {
          "created_at": string;
          "entry_id": string;
          "error": string | null;
          "id": string;
          "prompt": string;
          "status": string;
          "storage_path": string | null;
          "updated_at": string;
          "user_id": string;
        };
        SetofOptions: {
          from: "*";
          to: "dream_images";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "requeue_dead_embedding_jobs": { Args: { "model"?: string }; Returns: number };
      "restore_entry": {
        Args: { "entry_id": string };
        Returns: {
          "body_markdown": string | null;
          "client_id": string | null;
          "created_at": string;
          "created_xid": unknown;
          "deleted_at": string | null;
          "due_at": string | null;
          "ends_at": string | null;
          "facets": (string)[];
          "frontmatter": NonNullable<Json>;
          "id": string;
          "occurred_at": string;
          "source_app": string | null;
          "starts_at": string | null;
          "status": string | null;
          "title": string | null;
          "updated_at": string;
          "updated_xid": unknown;
          "user_id": string;
        };
        SetofOptions: {
          from: "*";
          to: "entries";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "revert_artifact": {
        Args: { "artifact_id": string; "change_summary"?: string; "message_id"?: string; "to_version": number };
        Returns: Json;
      };
      "revoke_share": { Args: { "share_id": string }; Returns: boolean };
      "rollback_prompt": {
        Args: { "label"?: string; "name": string; "provider"?: string; "tier"?: number };
        Returns: Json;
      };
      "save_interpretation": {
        Args: {
          "agent_id": string;
          "change_summary"?: string;
          "content"?: string;
          "content_json"?: Json;
          "entry_id": string;
          "expected_version"?: number;
        };
        Returns: Json;
      };
      "save_view": {
        Args: { "name"?: string; "query"?: Json };
        Returns: {
          "client_id": string | null;
          "created_at": string;
          "created_xid": unknown;
          "deleted_at": string | null;
          "id": string;
          "name": string;
          "query": NonNullable<Json>;
          "updated_at": string;
          "updated_xid": unknown;
          "user_id": string;
        };
        SetofOptions: {
          from: "*";
          to: "saved_views";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "search_entries": {
        Args: {
          "match_count"?: number;
          "match_threshold"?: number;
          "model"?: string;
          "p_user_id"?: string;
          "query_embedding": string;
        };
        Returns: Database["public"]["CompositeTypes"]["entry_search_hit"][];
        SetofOptions: {
          from: "*";
          to: "entry_search_hit";
          isOneToOne: false;
          isSetofReturn: true;
        };
      };
      "search_messages": {
        Args: { "chat_id"?: string; "limit"?: number; "query": string };
        Returns: Database["public"]["CompositeTypes"]["message_search_hit"][];
        SetofOptions: {
          from: "*";
          to: "message_search_hit";
          isOneToOne: false;
          isSetofReturn: true;
        };
      };
      "service_role_backfill_embeddings": { Args: { "max_rows"?: number; "restart"?: boolean }; Returns: Json };
      "service_role_begin_reply": {
        Args: {
          "agent_model"?: string;
          "agent_name"?: string;
          "chat_id": string;
          "intent"?: string;
          "metadata"?: Json;
          "parent_id": string;
        };
        Returns: Json;
      };
      "service_role_claim_embedding_jobs": {
        Args: { "batch_size"?: number; "lease_seconds"?: number; "model": string };
        Returns: Database["public"]["CompositeTypes"]["embedding_job_claim"][];
        SetofOptions: {
          from: "*";
          to: "embedding_job_claim";
          isOneToOne: false;
          isSetofReturn: true;
        };
      };
      "service_role_claim_file_deletions": {
        Args: { "lease_seconds"?: number; "max_jobs"?: number };
        Returns: {
          "attempts": number;
          "bucket_id": string;
          "job_id": number;
          "object_name": string;
        }[];
      };
      "service_role_complete_embedding_jobs": {
        Args: { "results": Json };
        Returns: {
          "job_id": number;
          "status": string;
        }[];
      };
      "service_role_end_stale_voice_sessions": { Args: { "max_age"?: string }; Returns: number };
      "service_role_fail_embedding_jobs": {
        Args: { "failures": Json };
        Returns: {
          "available_at": string;
          "job_id": number;
          "status": string;
        }[];
      };
      "service_role_find_orphaned_files": {
        Args: { "limit"?: number };
        Returns: {
          "attachment_id": string;
          "bucket_id": string;
          "created_at": string;
          "kind": string;
          "object_id": string;
          "object_name": string;
          "size_bytes": number;
        }[];
      };
      "service_role_finish_file_deletions": {
        Args: { "error"?: string; "job_ids": (number)[] };
        Returns: {
          "job_id": number;
          "not_before": string;
          "status": string;
        }[];
      };
      "service_role_finish_reply": {
        Args: {
          "agent_model"?: string;
          "agent_name"?: string;
          "content": string;
          "input_tokens"?: number;
          "intent"?: string;
          "latency_ms"?: number;
          "message_id": string;
          "metadata"?: Json;
          "output_tokens"?: number;
          "parts"?: Json;
          "runs"?: Json;
          "status"?: string;
        };
        Returns: Database["public"]["CompositeTypes"]["chat_message"];
        SetofOptions: {
          from: "*";
          to: "chat_message";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "service_role_purge_expired_chats": { Args: Record<PropertyKey, never>; Returns: number };
      "service_role_purge_sync_mutations": { Args: Record<PropertyKey, never>; Returns: number };
      "service_role_record_prompt_runs": { Args: { "runs": Json }; Returns: number };
      "service_role_register_embedding_model": {
        Args: {
          "batch_size"?: number;
          "description"?: string;
          "dimensions": number;
          "enabled"?: boolean;
          "max_input_chars"?: number;
          "name": string;
          "options"?: Json;
          "provider": string;
          "provider_model": string;
        };
        Returns: {
          "active": boolean;
          "batch_size": number;
          "created_at": string;
          "description": string | null;
          "dimensions": number;
          "enabled": boolean;
          "max_input_chars": number;
          "name": string;
          "options": NonNullable<Json>;
          "provider": string;
          "provider_model": string;
        };
        SetofOptions: {
          from: "*";
          to: "embedding_models";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "service_role_set_prompt_admin": { Args: { "role"?: string; "user_id": string }; Returns: Json };
      "service_role_update_embedding_model": {
        Args: {
          "active"?: boolean;
          "batch_size"?: number;
          "enabled"?: boolean;
          "max_input_chars"?: number;
          "name": string;
        };
        Returns: {
          "active": boolean;
          "batch_size": number;
          "created_at": string;
          "description": string | null;
          "dimensions": number;
          "enabled": boolean;
          "max_input_chars": number;
          "name": string;
          "options": NonNullable<Json>;
          "provider": string;
          "provider_model": string;
        };
        SetofOptions: {
          from: "*";
          to: "embedding_models";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "set_attachment_processing": {
        Args: { "attachment_id": string; "result"?: Json; "status": string };
        Returns: Json;
      };
      "set_current_leaf": {
        Args: { "chat_id": string; "message_id": string };
        Returns: {
          "agent_id": string | null;
          "archived": boolean;
          "continuation_id": string | null;
          "created_at": string;
          "current_leaf_depth": number;
          "current_leaf_ends_segment": boolean;
          "current_leaf_head_depth": number | null;
          "current_leaf_id": string | null;
          "current_leaf_parent_id": string | null;
          "current_leaf_segment_start": number | null;
          "entry_id": string | null;
          "expires_at": string | null;
          "forked_from_chat_id": string | null;
          "forked_from_message_id": string | null;
          "id": string;
          "input_tokens": number;
          "last_activity_at": string;
          "last_activity_minute": string;
          "last_message_at": string | null;
          "last_sequence_number": number;
          "message_count": number;
          "metadata": NonNullable<Json>;
          "output_tokens": number;
          "owner_id": string;
          "phase": string | null;
          "pinned": boolean;
          "project_id": string | null;
          "title": string | null;
          "ttl": string | null;
          "updated_at": string;
        };
        SetofOptions: {
          from: "*";
          to: "chats";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "set_dream_image": {
        Args: { "error"?: string; "image_id": string; "status": string; "storage_path"?: string };
        Returns: {
          "created_at": string;
          "entry_id": string;
          "error": string | null;
          "id": string;
          "prompt": string;
          "status": string;
          "storage_path": string | null;
          "updated_at": string;
          "user_id": string;
        };
        SetofOptions: {
          from: "*";
          to: "dream_images";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "set_dream_transcription": {
        Args: { "entry_id": string; "error"?: string; "status": string; "transcript"?: string };
        Returns: {
          "audio_path": string | null;
          "created_at": string;
          "dreamt_on": string;
          "entry_id": string;
          "lucid": boolean;
          "mood": string | null;
          "transcribed_at": string | null;
          "transcript": string | null;
          "transcription_error": string | null;
          "transcription_status": string | null;
          "updated_at": string;
          "user_id": string;
        };
        SetofOptions: {
          from: "*";
          to: "dream_details";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "set_entry_themes": { Args: { "entry_id": string; "replace"?: boolean; "themes": Json }; Returns: Json };
      "set_prompt_label": { Args: { "label": string; "name": string; "version": number }; Returns: Json };
      "share_chat": {
        Args: { "chat_id": string; "expires_at"?: string; "up_to_message_id"?: string };
        Returns: Database["public"]["CompositeTypes"]["chat_share_token"];
        SetofOptions: {
          from: "*";
          to: "chat_share_token";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "similar_entries": {
        Args: { "entry_id": string; "match_count"?: number; "model"?: string };
        Returns: Database["public"]["CompositeTypes"]["entry_search_hit"][];
        SetofOptions: {
          from: "*";
          to: "entry_search_hit";
          isOneToOne: false;
          isSetofReturn: true;
        };
      };
      "start_timer": {
        Args: { "entry_id"?: string; "label"?: string };
        Returns: {
          "created_at": string;
          "entry_id": string | null;
          "id": string;
          "label": string;
          "result_entry_id": string | null;
          "started_at": string;
          "stopped_at": string | null;
          "updated_at": string;
          "user_id": string;
        };
        SetofOptions: {
          from: "*";
          to: "timers";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "start_voice_session": {
        Args: {
          "agent_id"?: string;
          "chat_id"?: string;
          "metadata"?: Json;
          "provider"?: string;
          "provider_session_id": string;
          "user_id"?: string;
        };
        Returns: {
          "agent_id": string | null;
          "chat_id": string | null;
          "created_at": string;
          "ended_at": string | null;
          "ended_by": string | null;
          "id": string;
          "metadata": NonNullable<Json>;
          "provider": string;
          "provider_session_id": string;
          "seconds": number | null;
          "started_at": string;
          "updated_at": string;
          "user_id": string;
        };
        SetofOptions: {
          from: "*";
          to: "voice_sessions";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "stop_timer": { Args: { "timer_id": string }; Returns: Json };
      "unhide_artifact": {
        Args: { "artifact_id": string };
        Returns: {
          "chat_id": string | null;
          "created_at": string;
          "created_by_message_id": string | null;
          "current_version": number;
          "current_version_id": string | null;
          "description": string | null;
          "entry_id": string | null;
          "hidden_at": string | null;
          "hidden_by": string | null;
          "id": string;
          "owner_id": string;
          "project_id": string | null;
          "title": string;
          "total_versions": number;
          "type": string;
          "updated_at": string;
        };
        SetofOptions: {
          from: "*";
          to: "artifacts";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "unlink_project_goal": { Args: { "goal_id": string; "project_id": string }; Returns: boolean };
      "update_artifact": {
        Args: { "artifact_id": string; "description"?: string; "title"?: string };
        Returns: {
          "chat_id": string | null;
          "created_at": string;
          "created_by_message_id": string | null;
          "current_version": number;
          "current_version_id": string | null;
          "description": string | null;
          "entry_id": string | null;
          "hidden_at": string | null;
          "hidden_by": string | null;
          "id": string;
          "owner_id": string;
          "project_id": string | null;
          "title": string;
          "total_versions": number;
          "type": string;
          "updated_at": string;
        };
        SetofOptions: {
          from: "*";
          to: "artifacts";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "update_chat": {
        Args: {
          "archived"?: boolean;
          "chat_id": string;
          "expires_at"?: string;
          "metadata"?: Json;
          "phase"?: string;
          "pinned"?: boolean;
          "title"?: string;
        };
        Returns: {
          "agent_id": string | null;
          "archived": boolean;
          "continuation_id": string | null;
          "created_at": string;
          "current_leaf_depth": number;
          "current_leaf_ends_segment": boolean;
          "current_leaf_head_depth": number | null;
          "current_leaf_id": string | null;
          "current_leaf_parent_id": string | null;
          "current_leaf_segment_start": number | null;
          "entry_id": string | null;
          "expires_at": string | null;
          "forked_from_chat_id": string | null;
          "forked_from_message_id": string | null;
          "id": string;
          "input_tokens": number;
          "last_activity_at": string;
          "last_activity_minute": string;
          "last_message_at": string | null;
          "last_sequence_number": number;
          "message_count": number;
          "metadata": NonNullable<Json>;
          "output_tokens": number;
          "owner_id": string;
          "phase": string | null;
          "pinned": boolean;
          "project_id": string | null;
          "title": string | null;
          "ttl": string | null;
          "updated_at": string;
        };
        SetofOptions: {
          from: "*";
          to: "chats";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "update_dream": {
        Args: { "dreamt_on"?: string; "entry_id": string; "lucid"?: boolean; "mood"?: string };
        Returns: Json;
      };
      "update_my_profile": {
        Args: { "avatar_url"?: string; "display_name"?: string; "settings"?: Json; "timezone"?: string };
        Returns: {
          "avatar_url": string | null;
          "created_at": string;
          "display_name": string | null;
          "id": string;
          "plan": string | null;
          "settings": NonNullable<Json>;
          "timezone": string;
          "updated_at": string;
        };
        SetofOptions: {
          from: "*";
          to: "profiles";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "update_project": {
        Args: {
          "category"?: string;
          "currency"?: string;
          "current_step"?: string;
          "description"?: string;
          "goal"?: string;
          "location"?: string;
          "metadata"?: Json;
          "name"?: string;
          "project_id": string;
          "status"?: string;
          "target_budget"?: number;
        };
        Returns: {
          "category": string | null;
          "client_id": string | null;
          "created_at": string;
          "created_xid": unknown;
          "currency": string;
          "current_step": string | null;
          "description": string | null;
          "goal": string | null;
          "id": string;
          "location": string | null;
          "metadata": NonNullable<Json>;
          "name": string;
          "owner_id": string;
          "status": string;
          "target_budget": number | null;
          "updated_at": string;
          "updated_xid": unknown;
        };
        SetofOptions: {
          from: "*";
          to: "projects";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "upsert_entities": {
        Args: { "entities": Json };
        Returns: {
          "display_name": string;
          "id": string;
          "key": string;
          "ordinal": number;
          "type": string;
        }[];
      };
      "upsert_entry": {
        Args: {
          "body_markdown"?: string;
          "client_id"?: string;
          "due_at"?: string;
          "ends_at"?: string;
          "entity_keys"?: Json;
          "facets"?: (string)[];
          "frontmatter"?: Json;
          "goal_ids"?: (string)[];
          "id"?: string;
          "occurred_at"?: string;
          "project_ids"?: (string)[];
          "source_app"?: string;
          "starts_at"?: string;
          "status"?: string;
          "title"?: string;
        };
        Returns: Json;
      };
      "upsert_goal": {
        Args: { "id"?: string; "parent_id"?: string; "status"?: string; "target_date"?: string; "title"?: string };
        Returns: {
          "client_id": string | null;
          "created_at": string;
          "created_xid": unknown;
          "deleted_at": string | null;
          "id": string;
          "parent_id": string | null;
          "status": string;
          "target_date": string | null;
          "title": string;
          "updated_at": string;
          "updated_xid": unknown;
          "user_id": string;
        };
        SetofOptions: {
          from: "*";
          to: "goals";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "upsert_habit": {
        Args: { "id"?: string; "name"?: string; "schedule"?: Json; "target"?: number };
        Returns: {
          "client_id": string | null;
          "created_at": string;
          "created_xid": unknown;
          "deleted_at": string | null;
          "id": string;
          "name": string;
          "schedule": NonNullable<Json>;
          "target": number;
          "updated_at": string;
          "updated_xid": unknown;
          "user_id": string;
        };
        SetofOptions: {
          from: "*";
          to: "habit_definitions";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "upsert_tracker": {
        Args: { "id"?: string; "kind"?: string; "name"?: string; "unit"?: string };
        Returns: {
          "client_id": string | null;
          "created_at": string;
          "created_xid": unknown;
          "deleted_at": string | null;
          "id": string;
          "kind": string;
          "name": string;
          "unit": string | null;
          "updated_at": string;
          "updated_xid": unknown;
          "user_id": string;
        };
        SetofOptions: {
          from: "*";
          to: "tracker_definitions";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
    };
    Enums: {
      [_ in never]: never;
    };
    CompositeTypes: {
      "chat_message": {
        "id": string | null;
        "chat_id": string | null;
        "sequence_number": number | null;
        "parent_id": string | null;
        "depth": number | null;
        "role": string | null;
        "content": string | null;
        "parts": Json | null;
        "agent_name": string | null;
        "agent_model": string | null;
        "intent": string | null;
        "input_tokens": number | null;
        "output_tokens": number | null;
        "latency_ms": number | null;
        "status": string | null;
        "metadata": Json | null;
        "client_message_id": string | null;
        "author_id": string | null;
        "created_at": string | null;
        "updated_at": string | null;
        "artifact_versions": Json | null;
        "attachments": Json | null;
      };
      "chat_share_token": {
        "share_id": string | null;
        "token": string | null;
        "chat_id": string | null;
        "up_to_message_id": string | null;
        "expires_at": string | null;
      };
      "document_chunk_match": {
        "id": string | null;
        "document_id": string | null;
        "document_title": string | null;
        "heading_path": (string)[] | null;
        "content": string | null;
        "agent_id": string | null;
        "similarity": number | null;
      };
      "embedding_job_claim": {
        "job_id": number | null;
        "lease_token": string | null;
        "source_table": string | null;
        "source_id": string | null;
        "chunk_index": number | null;
        "model": string | null;
        "content": string | null;
        "content_hash": string | null;
        "unchanged": boolean | null;
        "attempts": number | null;
      };
      "entry_search_hit": {
        "id": string | null;
        "title": string | null;
        "snippet": string | null;
        "facets": (string)[] | null;
        "occurred_at": string | null;
        "similarity": number | null;
      };
      "hybrid_search_hit": {
        "source": string | null;
        "id": string | null;
        "title": string | null;
        "snippet": string | null;
        "parent_id": string | null;
        "created_at": string | null;
        "full_text_rank": number | null;
        "semantic_rank": number | null;
        "score": number | null;
      };
      "message_search_hit": {
        "chat_id": string | null;
        "chat_title": string | null;
        "message_id": string | null;
        "sequence_number": number | null;
        "role": string | null;
        "snippet": string | null;
        "rank": number | null;
        "created_at": string | null;
      };
      "prompt_template": {
        "name": string | null;
        "version": number | null;
        "version_id": string | null;
        "variant": string | null;
        "provider": string | null;
        "tier": number | null;
        "label": string | null;
        "template": string | null;
        "variables": (string)[] | null;
        "model": string | null;
        "params": Json | null;
        "created_at": string | null;
      };
      "quota": {
        "kind": string | null;
        "plan": string | null;
        "period": string | null;
        "used": number | null;
        "limit": number | null;
        "remaining": number | null;
        "period_start": string | null;
        "period_end": string | null;
      };
      "recorded_conversation": {
        "chat_id": string | null;
        "created": boolean | null;
        "inserted": number | null;
        "skipped": number | null;
        "message_count": number | null;
        "expires_at": string | null;
      };
    };
  };
};

type DatabaseWithoutInternals = Omit<Database, "__InternalSupabase">;

type DefaultSchema = DatabaseWithoutInternals[Extract<keyof Database, "public">];

export type Tables<
  DefaultSchemaTableNameOrOptions extends
    | keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals;
  } ? keyof (
      & DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
      & DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"]
    )
    : never = never,
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals } ? (
    & DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    & DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"]
  )[TableName] extends {
    Row: infer R;
  } ? R
  : never
  : DefaultSchemaTableNameOrOptions extends keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
    ? (DefaultSchema["Tables"] & DefaultSchema["Views"])[DefaultSchemaTableNameOrOptions] extends {
      Row: infer R;
    } ? R
    : never
  : never;

export type TablesInsert<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals;
  } ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never,
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
    Insert: infer I;
  } ? I
  : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
    ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
      Insert: infer I;
    } ? I
    : never
  : never;

export type TablesUpdate<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals;
  } ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never,
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
    Update: infer U;
  } ? U
  : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
    ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
      Update: infer U;
    } ? U
    : never
  : never;

export type Enums<
  DefaultSchemaEnumNameOrOptions extends
    | keyof DefaultSchema["Enums"]
    | { schema: keyof DatabaseWithoutInternals },
  EnumName extends DefaultSchemaEnumNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals;
  } ? keyof DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"]
    : never = never,
> = DefaultSchemaEnumNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"][EnumName]
  : DefaultSchemaEnumNameOrOptions extends keyof DefaultSchema["Enums"]
    ? DefaultSchema["Enums"][DefaultSchemaEnumNameOrOptions]
  : never;

export type CompositeTypes<
  PublicCompositeTypeNameOrOptions extends
    | keyof DefaultSchema["CompositeTypes"]
    | { schema: keyof DatabaseWithoutInternals },
  CompositeTypeName extends PublicCompositeTypeNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals;
  } ? keyof DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"]
    : never = never,
> = PublicCompositeTypeNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"][CompositeTypeName]
  : PublicCompositeTypeNameOrOptions extends keyof DefaultSchema["CompositeTypes"]
    ? DefaultSchema["CompositeTypes"][PublicCompositeTypeNameOrOptions]
  : never;

export const Constants = {
  "public": {
    Enums: {},
  },
} as const;
