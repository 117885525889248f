/**
 * Reading Server-Sent Events in tests, as an EventSource parses them (WHATWG HTML "event stream
 * interpretation"): lines end in CRLF, LF or CR; `event:`, `data:` (several joined with "\n"), `id:`;
 * a blank line dispatches; lines starting with ":" are comments.
 *
 *   for await (const e of readSse(res.body!)) if (e.type === "event") console.log(e.event, e.json());
 *   const events = await collectSse(res); // events only, after the stream ends
 */

export interface SseEvent {
  type: "event";
  /** The event name ("message" when none was given). */
  event: string;
  data: string;
  id?: string;
  // deno-lint-ignore no-explicit-any
  json<T = any>(): T;
}

export interface SseComment {
  type: "comment";
  text: string;
}

export type SseItem = SseEvent | SseComment;

/** The events and comments of a stream, as they arrive. */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseItem> {
  let buffer = "";
  let event = "";
  let data: string[] = [];
  let id: string | undefined;
  const line = function* (text: string): Generator<SseItem> {
    if (text === "") {
      if (data.length) {
        const payload = data.join("\n");
        yield {
          type: "event",
          event: event || "message",
          data: payload,
          ...(id === undefined ? {} : { id }),
          json: () => JSON.parse(payload),
        };
      }
      event = "";
      data = [];
      return;
    }
    if (text.startsWith(":")) {
      yield { type: "comment", text: text.slice(1).replace(/^ /, "") };
      return;
    }
    const colon = text.indexOf(":");
    const field = colon < 0 ? text : text.slice(0, colon);
    const value = colon < 0 ? "" : text.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
    else if (field === "id" && !value.includes("\0")) id = value;
  };
  for await (const chunk of body.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let match;
    // a lone CR at the end may be the first half of CRLF: wait for more
    while ((match = /\r\n|\n|\r(?!$)/.exec(buffer))) {
      const text = buffer.slice(0, match.index);
      buffer = buffer.slice(match.index + match[0].length);
      yield* line(text);
    }
  }
  // an event not ended by a blank line is discarded, as EventSource does
}

/** All the events of a response (comments left out), once its stream has ended. */
export async function collectSse(response: Response): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  for await (const item of readSse(response.body!)) if (item.type === "event") events.push(item);
  return events;
}
