// Small DOM helpers. Text goes in as text nodes only; the one place HTML enters the page is the
// sanitized markdown renderer.

type Child = Node | string | null | undefined | false;

export interface ElementProps {
  readonly className?: string;
  readonly id?: string;
  readonly attrs?: Readonly<Record<string, string | boolean | undefined>>;
  readonly on?: Readonly<Record<string, (event: Event) => void>>;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props?: ElementProps, ...children: Child[]): HTMLElementTagNameMap[K];
export function el(tag: string, props?: ElementProps, ...children: Child[]): HTMLElement;
export function el(tag: string, props: ElementProps = {}, ...children: Child[]): HTMLElement {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.id) node.id = props.id;
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    if (value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? '' : value);
  }
  for (const [type, listener] of Object.entries(props.on ?? {})) node.addEventListener(type, listener);
  append(node, ...children);
  return node;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/** A codicon from the bundled font; decorative unless a label is given. */
export function icon(name: string, label?: string): HTMLSpanElement {
  const span = el('span', { className: `codicon codicon-${name}` });
  if (label) {
    span.setAttribute('role', 'img');
    span.setAttribute('aria-label', label);
  } else span.setAttribute('aria-hidden', 'true');
  return span;
}

/** A vscode-elements button with a codicon before its label. */
export function button(
  label: string,
  codicon: string | undefined,
  onClick: () => void,
  options: { secondary?: boolean; title?: string } = {},
): HTMLElement {
  const node = el(
    'vscode-button',
    { attrs: { secondary: options.secondary === true, title: options.title } },
    codicon ? iconSlot(codicon) : null,
    label,
  );
  node.addEventListener('click', () => {
    if (!node.hasAttribute('disabled')) onClick();
  });
  return node;
}

/** An icon-only toolbar button: native, so it needs no extra component and stays keyboard-reachable. */
export function iconButton(codicon: string, label: string, onClick: () => void): HTMLButtonElement {
  const node = el('button', { className: 'icon-button', attrs: { type: 'button', title: label, 'aria-label': label } }, icon(codicon));
  node.addEventListener('click', onClick);
  return node;
}

function iconSlot(name: string): HTMLSpanElement {
  const span = icon(name);
  span.slot = 'content-before';
  return span;
}

export function setText(node: Node, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}
