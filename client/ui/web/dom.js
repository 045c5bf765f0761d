// Small DOM helpers for the candidate UI. No framework and no innerHTML: every piece of text
// (assessment content, server messages) goes in through textContent, so content can never be
// read as markup and the page stays within its Content-Security-Policy (no inline scripts or
// style attributes).

// h('p', {class: 'hint', id: 'x'}, 'text', child, ...) builds an element. Attributes whose value
// is false, null or undefined are left out; `true` sets an empty attribute. Keys starting with
// "on" add event listeners. Children may be strings, nodes, arrays or null (skipped).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'class') {
      el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    } else if (key === 'value' && 'value' in el) {
      el.value = value;
    } else if (key === 'checked' || key === 'disabled' || key === 'hidden') {
      el[key] = Boolean(value);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

// Paragraphs of content (stems, intros, case material) as <p> elements.
export function paragraphs(list, cls) {
  return (list || []).map((text) => h('p', { class: cls }, text));
}

// Replaces the children of `el`.
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let idCounter = 0;
// A unique id for label/aria wiring.
export function uid(prefix) {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

// Moves keyboard and screen-reader focus to `el` (a heading, usually) without scrolling past it.
// Headings are not focusable by default, so they get tabindex=-1 (focusable by script only).
export function focusOn(el) {
  if (!el) return;
  if (!el.hasAttribute('tabindex')) el.setAttribute('tabindex', '-1');
  el.focus({ preventScroll: true });
  el.scrollIntoView({ block: 'nearest' });
}

// A visually hidden span: read by screen readers, not shown.
export function sr(text) {
  return h('span', { class: 'visually-hidden' }, text);
}

// Words as a candidate would count them: runs of non-space characters.
export function countWords(text) {
  const m = String(text || '').trim().match(/\S+/g);
  return m ? m.length : 0;
}

// "1 question", "3 questions".
export function plural(n, one, many) {
  return `${n} ${n === 1 ? one : (many || `${one}s`)}`;
}
