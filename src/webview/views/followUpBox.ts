// The follow-up question box: Enter sends, Shift+Enter makes a new line; disabled while a run is going.
import { button, el } from '../dom';
import { MAX_FOLLOW_UP_LENGTH } from '../../bridge/protocol';

interface TextareaElement extends HTMLElement {
  value: string;
  disabled: boolean;
  maxLength: number | undefined;
  /** The native textarea inside (vscode-textarea renders asynchronously). */
  readonly wrappedElement?: HTMLTextAreaElement;
}

export class FollowUpBox {
  readonly element: HTMLElement;
  private readonly textarea: TextareaElement;
  private readonly send: HTMLElement;
  private readonly hint: HTMLElement;
  private enabled = true;

  constructor(
    draft: string,
    private readonly onSend: (question: string) => void,
    private readonly onDraft: (draft: string) => void,
  ) {
    this.textarea = el('vscode-textarea', {
      className: 'follow-up-input',
      attrs: { label: 'Ask a follow-up question', placeholder: 'Ask a follow-up question… (Enter to send)', rows: '2', resize: 'vertical' },
    }) as TextareaElement;
    this.textarea.maxLength = MAX_FOLLOW_UP_LENGTH;
    this.textarea.value = draft;
    this.textarea.addEventListener('keydown', (event) => this.onKeyDown(event as KeyboardEvent));
    this.textarea.addEventListener('input', () => this.onDraft(this.textarea.value));
    this.send = button('Ask', 'send', () => this.submit());
    this.send.classList.add('follow-up-send');
    this.hint = el('p', { className: 'follow-up-hint muted', id: 'follow-up-hint' });
    this.element = el(
      'form',
      { className: 'follow-up', attrs: { 'aria-label': 'Follow-up question' } },
      this.textarea,
      el('div', { className: 'follow-up-row' }, this.hint, this.send),
    );
    this.element.addEventListener('submit', (event) => {
      event.preventDefault();
      this.submit();
    });
  }

  setEnabled(enabled: boolean, reason: string): void {
    this.enabled = enabled;
    this.textarea.disabled = !enabled;
    this.textarea.toggleAttribute('disabled', !enabled);
    this.send.toggleAttribute('disabled', !enabled);
    this.hint.textContent = reason;
  }

  setDraft(draft: string): void {
    if (this.textarea.value !== draft) this.setValue(draft);
  }

  /** Sets the inner textarea at once too: disabling it next fires `change`, which would restore the old text. */
  private setValue(value: string): void {
    this.textarea.value = value;
    if (this.textarea.wrappedElement) this.textarea.wrappedElement.value = value;
  }

  private onKeyDown(event: KeyboardEvent): void {
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing) return;
    event.preventDefault();
    this.submit();
  }

  private submit(): void {
    const question = this.textarea.value.trim();
    if (!this.enabled || !question) return;
    this.setValue('');
    this.onDraft('');
    this.onSend(question);
  }
}
