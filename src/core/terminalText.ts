// Model and server text on its way to a terminal. A terminal obeys control characters: ESC starts
// CSI/OSC sequences (clear screen, window title, OSC 52 clipboard writes, OSC 8 hyperlinks), a
// carriage return or backspace overwrites what is already shown (a fake "all checks passed"), and
// bidi overrides reorder what the person reads. Every control becomes a visible, inert stand-in,
// so the text stays readable and an attempt stays visible; only newlines and tabs pass through.

// C0 controls except \t and \n, DEL, C1 controls, and the Unicode bidi embedding/override/isolate marks.
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function standIn(ch: string): string {
  const code = ch.charCodeAt(0);
  // Control Pictures (U+2400 block): ␛ for ESC, ␍ for CR, ␈ for backspace, ␡ for DEL.
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return '\u2421';
  return `<U+${code.toString(16).toUpperCase().padStart(4, '0')}>`;
}

/** `text` safe to print on a terminal: CRLF becomes LF, every other control a visible stand-in. */
export function forTerminal(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(UNSAFE, standIn);
}

/**
 * The same for text that arrives in pieces (a stream): a CR at the end of a piece waits for the
 * next one, so a CRLF cut between two pieces still becomes one newline.
 */
export function terminalStream(): { push(text: string): string; end(): string } {
  let heldCr = false;
  return {
    push(text: string): string {
      let input = heldCr ? `\r${text}` : text;
      heldCr = input.endsWith('\r');
      if (heldCr) input = input.slice(0, -1);
      return forTerminal(input);
    },
    end(): string {
      const out = heldCr ? forTerminal('\r') : '';
      heldCr = false;
      return out;
    },
  };
}
