/**
 * Splits SQL text into statements the way psql does, keeping each statement's first line so errors
 * can point at `file:line`. Understands '…' and E'…' strings, "quoted identifiers", $tag$ bodies,
 * -- and nested /* *\/ comments. psql meta-commands (lines starting with a backslash) are dropped.
 */
export interface Statement {
  /** The statement text from its first code character, without the terminating semicolon. */
  text: string;
  /** 1-based line where the statement's code starts (after blanks and comments). */
  line: number;
}

export function splitSql(source: string): Statement[] {
  const statements: Statement[] = [];
  let start = 0;
  let i = 0;
  const n = source.length;

  const push = (end: number) => {
    const raw = source.slice(start, end);
    if (hasCode(raw)) {
      const code = codeStart(raw);
      statements.push({ text: raw.slice(code).trim(), line: lineAt(source, start + code) });
    }
  };

  while (i < n) {
    const c = source[i];
    const next = source[i + 1];
    if (c === "-" && next === "-") {
      i = skipLineComment(source, i);
    } else if (c === "/" && next === "*") {
      i = skipBlockComment(source, i);
    } else if (c === "'") {
      const escaped = i > 0 && /[eE]/.test(source[i - 1]) && !/[\w$]/.test(source[i - 2] ?? "");
      i = skipQuoted(source, i, "'", escaped);
    } else if (c === '"') {
      i = skipQuoted(source, i, '"', false);
    } else if (c === "$") {
      const tag = /^\$([A-Za-z_][A-Za-z_0-9]*)?\$/.exec(source.slice(i));
      if (tag && !/[\w$]/.test(source[i - 1] ?? " ")) {
        const close = source.indexOf(tag[0], i + tag[0].length);
        i = close === -1 ? n : close + tag[0].length;
      } else {
        i++;
      }
    } else if (c === "\\" && atLineStart(source, i)) {
      // psql meta-command: blank it out of the current statement.
      const end = source.indexOf("\n", i);
      const stop = end === -1 ? n : end;
      source = source.slice(0, i) + " ".repeat(stop - i) + source.slice(stop);
      i = stop;
    } else if (c === ";") {
      push(i);
      start = i + 1;
      i++;
    } else {
      i++;
    }
  }
  push(n);
  return statements;
}

/** Offset of the first character that is neither blank nor part of a comment. */
function codeStart(text: string): number {
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text[i])) i++;
    else if (text.startsWith("--", i)) i = skipLineComment(text, i);
    else if (text.startsWith("/*", i)) i = skipBlockComment(text, i);
    else return i;
  }
  return 0;
}

/** 1-based line number of a 0-based character offset. */
export function lineAt(source: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < source.length; i++) if (source[i] === "\n") line++;
  return line;
}

function hasCode(text: string): boolean {
  return text.replace(/--[^\n]*/g, "").replace(/\/\*[\s\S]*?\*\//g, "").trim().length > 0;
}

function atLineStart(source: string, i: number): boolean {
  for (let j = i - 1; j >= 0; j--) {
    if (source[j] === "\n") return true;
    if (source[j] !== " " && source[j] !== "\t") return false;
  }
  return true;
}

function skipLineComment(source: string, i: number): number {
  const end = source.indexOf("\n", i);
  return end === -1 ? source.length : end + 1;
}

function skipBlockComment(source: string, i: number): number {
  let depth = 0;
  while (i < source.length) {
    if (source[i] === "/" && source[i + 1] === "*") {
      depth++;
      i += 2;
    } else if (source[i] === "*" && source[i + 1] === "/") {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else {
      i++;
    }
  }
  return i;
}

function skipQuoted(source: string, i: number, quote: string, backslashEscapes: boolean): number {
  i++;
  while (i < source.length) {
    const c = source[i];
    if (backslashEscapes && c === "\\") {
      i += 2;
    } else if (c === quote) {
      if (source[i + 1] === quote) i += 2;
      else return i + 1;
    } else {
      i++;
    }
  }
  return i;
}
