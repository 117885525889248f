export type Json = string | number | boolean | null | { [key: string]: Json | undefined } | Json[];

export type Database = {
  "public": {
    Tables: {
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
      "chats": {
        Row: {
          "agent_id": string | null;
          "archived": boolean;
          "continuation_id": string | null;
          "created_at": string;
          "current_leaf_id": string | null;
          "expires_at": string | null;
          "forked_from_chat_id": string | null;
          "forked_from_message_id": string | null;
          "id": string;
          "input_tokens": number;
          "last_activity_at": string;
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
          "current_leaf_id"?: string | null;
          "expires_at"?: string | null;
          "forked_from_chat_id"?: string | null;
          "forked_from_message_id"?: string | null;
          "id"?: string;
          "input_tokens"?: number;
          "last_activity_at"?: string;
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
          "current_leaf_id"?: string | null;
          "expires_at"?: string | null;
          "forked_from_chat_id"?: string | null;
          "forked_from_message_id"?: string | null;
          "id"?: string;
          "input_tokens"?: number;
          "last_activity_at"?: string;
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
            foreignKeyName: "chats_forked_from_chat_id_fkey";
            columns: ["forked_from_chat_id"];
            isOneToOne: false;
            referencedRelation: "chats";
            referencedColumns: ["id"];
          },
          {
            foreignKeyName: "chats_forked_from_message_id_fkey";
            columns: ["forked_from_message_id"];
            isOneToOne: false;
            referencedRelation: "messages";
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
        };
        ComputedFields: never;
        Insert: {
          "agent_model"?: string | null;
          "agent_name"?: string | null;
          "author_id"?: string | null;
          "chat_id": string;
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
        };
        Update: {
          "agent_model"?: string | null;
          "agent_name"?: string | null;
          "author_id"?: string | null;
          "chat_id"?: string;
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
        };
        Relationships: [
          {
            foreignKeyName: "messages_chat_id_fkey";
            columns: ["chat_id"];
            isOneToOne: false;
            referencedRelation: "chats";
            referencedColumns: ["id"];
          },
          {
            foreignKeyName: "messages_parent_id_fkey";
            columns: ["parent_id"];
            isOneToOne: false;
            referencedRelation: "messages";
            referencedColumns: ["id"];
          },
        ];
      };
      "profiles": {
        Row: {
          "avatar_url": string | null;
          "created_at": string;
          "display_name": string | null;
          "id": string;
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
          "settings"?: NonNullable<Json>;
          "timezone"?: string;
          "updated_at"?: string;
        };
        Update: {
          "avatar_url"?: string | null;
          "created_at"?: string;
          "display_name"?: string | null;
          "id"?: string;
          "settings"?: NonNullable<Json>;
          "timezone"?: string;
          "updated_at"?: string;
        };
        Relationships: [];
      };
    };
    Views: {
      [_ in never]: never;
    };
    Functions: {
      "get_my_profile": {
        Args: Record<PropertyKey, never>;
        Returns: {
          "avatar_url": string | null;
          "created_at": string;
          "display_name": string | null;
          "id": string;
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
      "update_my_profile": {
        Args: { "avatar_url"?: string; "display_name"?: string; "settings"?: Json; "timezone"?: string };
        Returns: {
          "avatar_url": string | null;
          "created_at": string;
          "display_name": string | null;
          "id": string;
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
    };
    Enums: {
      [_ in never]: never;
    };
    CompositeTypes: {
      [_ in never]: never;
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
