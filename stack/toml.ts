/**
 * A small TOML reader for the subset supabase/config.toml uses: `[table]` and `[dotted.table]`
 * headers (bare or quoted keys), `key = value` with bare, quoted or dotted keys, basic and literal
 * strings, integers, floats, booleans, and arrays of those (across lines, trailing comma allowed).
 * Anything else (inline tables, dates, multi-line strings, arrays of tables) is refused with the
 * line it is on rather than misread.
 */

export type TomlValue = string | number | boolean | TomlValue[] | TomlTable;
export interface TomlTable {
  [key: string]: TomlValue;
}

export class TomlError extends Error {
  constructor(message: string, readonly line: number) {
    super(`line ${line}: ${message}`);
  }
}

export function parseToml(text: string): TomlTable {
  const root: TomlTable = {};
  let current = root;
  const p = new Parser(text);
  while (true) {
    p.skipBlank();
    if (p.done()) break;
    if (p.peek() === "[") {
      if (p.peek(1) === "[") throw p.error("arrays of tables ([[…]]) are not supported");
      p.pos++;
      const path = p.keyPath();
      p.skipSpaces();
      p.expect("]");
      current = tableAt(root, path, p, true);
    } else {
      const path = p.keyPath();
      p.skipSpaces();
      p.expect("=");
      p.skipSpaces();
      const value = p.value();
      const parent = tableAt(current, path.slice(0, -1), p, false);
      const key = path[path.length - 1];
      if (key in parent) throw p.error(`duplicate key "${path.join(".")}"`);
      parent[key] = value;
    }
    p.endOfLine();
  }
  return root;
}

function tableAt(from: TomlTable, path: string[], p: Parser, header: boolean): TomlTable {
  let table = from;
  for (const key of path) {
    const next = table[key];
    if (next === undefined) table = table[key] = {};
    else if (typeof next === "object" && !Array.isArray(next)) table = next;
    else throw p.error(`"${path.join(".")}" is not a table`);
  }
  if (header && path.length === 0) throw p.error("empty table name");
  return table;
}

class Parser {
  pos = 0;
  constructor(readonly text: string) {}

  done() {
    return this.pos >= this.text.length;
  }
  peek(offset = 0) {
    return this.text[this.pos + offset];
  }
  line() {
    return this.text.slice(0, this.pos).split("\n").length;
  }
  error(message: string) {
    return new TomlError(message, this.line());
  }
  expect(ch: string) {
    if (this.peek() !== ch) throw this.error(`expected "${ch}"`);
    this.pos++;
  }
  skipSpaces() {
    while (this.peek() === " " || this.peek() === "\t") this.pos++;
  }
  skipComment() {
    if (this.peek() === "#") { while (!this.done() && this.peek() !== "\n") this.pos++; }
  }
  /** Spaces, comments and newlines. */
  skipBlank() {
    while (!this.done()) {
      this.skipSpaces();
      this.skipComment();
      if (this.peek() === "\r" || this.peek() === "\n") this.pos++;
      else break;
    }
  }
  endOfLine() {
    this.skipSpaces();
    this.skipComment();
    if (this.peek() === "\r") this.pos++;
    if (!this.done() && this.peek() !== "\n") throw this.error("expected the end of the line");
  }

  keyPath(): string[] {
    const path: string[] = [];
    while (true) {
      this.skipSpaces();
      const ch = this.peek();
      if (ch === '"') path.push(this.basicString());
      else if (ch === "'") path.push(this.literalString());
      else {
        const m = /^[A-Za-z0-9_-]+/.exec(this.text.slice(this.pos));
        if (!m) throw this.error("expected a key");
        path.push(m[0]);
        this.pos += m[0].length;
      }
      this.skipSpaces();
      if (this.peek() !== ".") return path;
      this.pos++;
    }
  }

  value(): TomlValue {
    const ch = this.peek();
    if (ch === '"') {
      if (this.text.startsWith('"""', this.pos)) throw this.error("multi-line strings are not supported");
      return this.basicString();
    }
    if (ch === "'") {
      if (this.text.startsWith("'''", this.pos)) throw this.error("multi-line strings are not supported");
      return this.literalString();
    }
    if (ch === "[") return this.array();
    if (ch === "{") throw this.error("inline tables are not supported");
    const m = /^[^\s,\]#]+/.exec(this.text.slice(this.pos));
    if (!m) throw this.error("expected a value");
    const word = m[0];
    this.pos += word.length;
    if (word === "true") return true;
    if (word === "false") return false;
    if (/^0x[0-9a-fA-F](_?[0-9a-fA-F])*$/.test(word)) return parseInt(word.slice(2).replaceAll("_", ""), 16);
    if (/^[+-]?(0|[1-9](_?\d)*)(\.\d(_?\d)*)?([eE][+-]?\d(_?\d)*)?$/.test(word)) {
      return Number(word.replaceAll("_", ""));
    }
    if (/^[+-]?(inf|nan)$/.test(word)) return word.endsWith("inf") ? (word[0] === "-" ? -Infinity : Infinity) : NaN;
    throw this.error(`unsupported value "${word}"`);
  }

  array(): TomlValue[] {
    this.expect("[");
    const items: TomlValue[] = [];
    while (true) {
      this.skipBlank();
      if (this.peek() === "]") break;
      items.push(this.value());
      this.skipBlank();
      if (this.peek() === ",") {
        this.pos++;
        continue;
      }
      if (this.peek() !== "]") throw this.error('expected "," or "]" in an array');
    }
    this.pos++;
    return items;
  }

  basicString(): string {
    this.expect('"');
    let out = "";
    while (true) {
      if (this.done() || this.peek() === "\n") throw this.error("unterminated string");
      const ch = this.text[this.pos++];
      if (ch === '"') return out;
      if (ch !== "\\") {
        out += ch;
        continue;
      }
      const esc = this.text[this.pos++];
      const simple: Record<string, string> = { b: "\b", t: "\t", n: "\n", f: "\f", r: "\r", '"': '"', "\\": "\\" };
      if (esc in simple) out += simple[esc];
      else if (esc === "u" || esc === "U") {
        const len = esc === "u" ? 4 : 8;
        const hex = this.text.slice(this.pos, this.pos + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) throw this.error("invalid unicode escape");
        out += String.fromCodePoint(parseInt(hex, 16));
        this.pos += len;
      } else throw this.error(`invalid escape "\\${esc}"`);
    }
  }

  literalString(): string {
    this.expect("'");
    const end = this.text.indexOf("'", this.pos);
    const newline = this.text.indexOf("\n", this.pos);
    if (end < 0 || (newline >= 0 && newline < end)) throw this.error("unterminated string");
    const out = this.text.slice(this.pos, end);
    this.pos = end + 1;
    return out;
  }
}
