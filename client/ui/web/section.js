// One section of the assessment (or the practice run): the section's instructions, the case
// material beside the questions, one question at a time, the question navigator, flagging, and
// the section's review page with "finish section".
//
// Contracts:
// 1. What the candidate chose or typed is kept in this page (and in the Saver) until the client
//    has acknowledged it; redrawing a question shows the page's newest value, never an older one
//    from the client.
// 2. Moving between questions never waits for the network: the view changes at once and the
//    client is told with POST /api/navigate in the background.
// 3. "Finish section" first waits for every save to be acknowledged; if they are not, the
//    section is not finished and the candidate is told why.
import { h, uid, focusOn, paragraphs, sr, countWords, plural, replace } from './dom.js';
import { setTitle, announce, button, busy, showError, confirmDialog, mount } from './core.js';

// The saved value the client sent for an item (GET /api/section), whatever it is called there.
function savedValue(item) {
  let v = item.answer !== undefined ? item.answer : item.value;
  if (v && typeof v === 'object' && v.value && typeof v.value === 'object') v = v.value;
  return v || null;
}

// Answered means: a choice made, at least one box ticked, or some words written. "Partly" is a
// multiple-response item with fewer boxes ticked than it asks for.
export function answerState(item, value) {
  if (!value) return 'none';
  if (item.type === 'single') return Number.isInteger(value.choice) ? 'full' : 'none';
  if (item.type === 'multiple') {
    const n = Array.isArray(value.choices) ? value.choices.length : 0;
    if (n === 0) return 'none';
    return n >= (item.select || 2) ? 'full' : 'partly';
  }
  return countWords(value.text) > 0 ? 'full' : 'none';
}

const STATE_WORDS = { full: 'answered', partly: 'partly answered', none: 'not answered' };

// backend: {save(itemId, value, mode), flag(itemId, on) -> Promise, navigate(body),
//           finish() -> Promise, flush() -> Promise<boolean>, practice: bool,
//           onFinished(): called after finish() succeeds}
// position: {index, count} of this section in the assessment, and the item/view to start on.
export function renderSection(data, backend, position) {
  const items = data.items || [];
  const values = new Map();
  const flags = new Set();
  for (const item of items) {
    const pending = backend.latest ? backend.latest(item.id) : undefined;
    values.set(item.id, pending !== undefined ? pending : savedValue(item));
    if (item.flagged) flags.add(item.id);
  }
  const hasCase = Array.isArray(data.case_material) && data.case_material.length > 0;
  const sectionLabel = position.count
    ? `Section ${position.index + 1} of ${position.count}` : (backend.practice ? 'Practice' : '');

  let current = Math.min(Math.max(position.item || 0, 0), Math.max(items.length - 1, 0));
  let view = position.view || 'item';

  // ---- Case material (scenario and written sections) ----
  let casePanel = null;
  if (hasCase) {
    const caseHeading = uid('case');
    casePanel = h('section', { class: 'case', id: 'case-material', 'aria-labelledby': caseHeading, tabindex: '0' },
      h('h2', { id: caseHeading }, 'Case material'),
      h('p', { class: 'case__note' }, 'You can read this at any time during the section.'),
      data.case_material.map((doc) => {
        const docId = uid('doc');
        return h('section', { class: 'case__doc', 'aria-labelledby': docId },
          h('h3', { id: docId }, doc.title),
          paragraphs(doc.paragraphs));
      }),
      h('p', { class: 'case__end' }, h('a', { href: '#work', class: 'link-button', onclick: (e) => {
        e.preventDefault();
        focusOn(document.querySelector('#work h2'));
      } }, 'Go to the question')));
  }

  // ---- Navigator ----
  const navButtons = items.map((item, i) => {
    const b = h('button', { type: 'button', class: 'qnav__button', onclick: () => goTo(i) });
    return b;
  });
  const navSummary = h('p', { class: 'qnav__summary' });
  const navHeading = uid('qnav');
  const reviewButton = button(position.last ? 'Check your answers and submit' : 'Review and finish this section',
    () => showReview(), 'secondary', { class: 'qnav__review' });
  const introButton = data.intro && data.intro.length
    ? button('Section instructions', () => showIntro(), 'link') : null;
  const nav = h('nav', { class: 'qnav', 'aria-labelledby': navHeading },
    h('h2', { id: navHeading, class: 'qnav__heading' }, 'Questions in this section'),
    navSummary,
    h('p', { class: 'qnav__key', 'aria-hidden': 'true' },
      h('span', { class: 'mark mark--answered' }, '✓'), ' answered  ',
      h('span', { class: 'mark mark--partly' }, '½'), ' partly answered  ',
      h('span', { class: 'mark mark--flag' }, '⚑'), ' flagged'),
    h('ol', { class: 'qnav__list' }, navButtons.map((b) => h('li', {}, b))),
    h('div', { class: 'qnav__actions' }, reviewButton, introButton));

  function updateNav() {
    let answered = 0;
    items.forEach((item, i) => {
      const st = answerState(item, values.get(item.id));
      if (st === 'full') answered += 1;
      const flagged = flags.has(item.id);
      const b = navButtons[i];
      replace(b,
        sr('Question '), h('span', { class: 'qnav__num' }, String(i + 1)),
        sr(`, ${STATE_WORDS[st]}${flagged ? ', flagged for review' : ''}`),
        h('span', { class: 'qnav__marks', 'aria-hidden': 'true' },
          st === 'full' ? h('span', { class: 'mark mark--answered' }, '✓') : null,
          st === 'partly' ? h('span', { class: 'mark mark--partly' }, '½') : null,
          flagged ? h('span', { class: 'mark mark--flag' }, '⚑') : null));
      b.classList.toggle('is-answered', st === 'full');
      b.classList.toggle('is-partly', st === 'partly');
      b.classList.toggle('is-flagged', flagged);
      if (view === 'item' && i === current) b.setAttribute('aria-current', 'step');
      else b.removeAttribute('aria-current');
    });
    navSummary.textContent = `${answered} of ${plural(items.length, 'question')} answered`
      + (flags.size ? `, ${flags.size} flagged for review` : '');
  }

  // ---- The work area: intro, one item, or the review ----
  const work = h('div', { class: 'work__view', id: 'work' });
  const errorSlot = h('div', { class: 'error-slot' });

  function titleFor() {
    if (view === 'intro') return `${data.title}: instructions`;
    if (view === 'review') return `Review: ${data.title}`;
    return `Question ${current + 1} of ${items.length} – ${data.title}`;
  }

  function show(newView, focus = true) {
    view = newView;
    showError(errorSlot, null);
    if (view === 'intro') drawIntro();
    else if (view === 'review') drawReview();
    else drawItem();
    updateNav();
    setTitle(titleFor());
    if (focus) focusOn(work.querySelector('h2'));
  }

  function goTo(i) {
    current = Math.min(Math.max(i, 0), items.length - 1);
    show('item');
    backend.navigate({ item_index: current });
  }
  function showReview() {
    show('review');
    backend.navigate({ view: 'review' });
  }
  function showIntro() {
    show('intro');
  }

  function drawIntro() {
    const remaining = position.remainingText ? position.remainingText() : null;
    replace(work,
      h('h2', {}, 'Before you start'),
      paragraphs(data.intro),
      remaining ? h('p', {}, `Time for this section: ${remaining}. The time left is shown at the top of the page.`) : null,
      h('p', {}, 'Your answers are saved as you go. You can move between the questions in this '
        + 'section and flag any you want to come back to.'),
      button(items.length ? 'Go to the first question' : 'Continue', () => goTo(0), 'primary'));
  }

  // The answer controls for one item. Each returns the element.
  function drawOptions(item, stemId) {
    const name = uid(`q-${item.id}`);
    const value = values.get(item.id) || {};
    const multiple = item.type === 'multiple';
    const select = item.select || 2;
    const chosen = new Set(multiple ? (value.choices || []) : (Number.isInteger(value.choice) ? [value.choice] : []));
    const countNote = multiple ? h('p', { class: 'choices__count', id: `${name}-count` }) : null;
    const limitNote = multiple ? h('p', { class: 'choices__limit', hidden: true }) : null;
    const updateCount = () => {
      if (!countNote) return;
      countNote.textContent = `You have chosen ${chosen.size} of ${select}.`;
    };
    const fieldset = h('fieldset', { class: 'fieldset choices', 'aria-describedby': [stemId, countNote ? countNote.id : null].filter(Boolean).join(' ') },
      h('legend', { class: 'fieldset__legend' }, multiple ? `Choose ${select} answers` : 'Choose one answer'),
      (item.options || []).map((text, i) => {
        const id = `${name}-${i}`;
        const input = h('input', { type: multiple ? 'checkbox' : 'radio', name, id, value: String(i),
          class: 'choice__input', checked: chosen.has(i) });
        input.addEventListener('change', () => {
          if (multiple) {
            if (input.checked && chosen.size >= select) {
              input.checked = false;
              const msg = `You can choose ${select} answers. To change your choice, first untick one you chose.`;
              limitNote.textContent = msg;
              limitNote.hidden = false;
              announce(msg);
              return;
            }
            limitNote.hidden = true;
            if (input.checked) chosen.add(i); else chosen.delete(i);
            updateCount();
            record(item, { choices: [...chosen].sort((a, b) => a - b) }, 'now');
          } else if (input.checked) {
            chosen.clear();
            chosen.add(i);
            record(item, { choice: i }, 'now');
          }
        });
        return h('div', { class: 'choice' }, input, h('label', { for: id, class: 'choice__label' }, text));
      }),
      limitNote, countNote);
    updateCount();
    return fieldset;
  }

  function wordText(n, words) {
    if (!words || !words.max) return `You have written ${plural(n, 'word')}.`;
    if (n < words.min) return `You have written ${plural(n, 'word')}. Aim for ${words.min} to ${words.max}.`;
    if (n <= words.max) return `You have written ${plural(n, 'word')}: within the guidance of ${words.min} to ${words.max}.`;
    return `You have written ${plural(n, 'word')}: ${n - words.max} more than the guidance of ${words.max}. `
      + 'Nothing is cut off, but keep to the guidance if you can.';
  }
  function wordBand(n, words) {
    if (!words || !words.max) return 'none';
    if (n < words.min) return 'under';
    return n <= words.max ? 'within' : 'over';
  }

  function drawWritten(item, stemId) {
    const id = uid(`answer-${item.id}`);
    const words = item.words || null;
    const value = values.get(item.id) || {};
    const hintId = `${id}-hint`;
    const countId = `${id}-count`;
    const count = h('p', { id: countId, class: 'wordcount' });
    const area = h('textarea', { id, class: 'textarea', rows: '14', spellcheck: 'true',
      'aria-describedby': [stemId, words ? hintId : null, countId].filter(Boolean).join(' ') });
    area.value = value.text || '';
    let band = wordBand(countWords(area.value), words);
    const updateCount = () => {
      const n = countWords(area.value);
      count.textContent = wordText(n, words);
      const b = wordBand(n, words);
      count.dataset.band = b;
      // Announce only when the count crosses into a new band, never on every word.
      if (b !== band) {
        band = b;
        if (b === 'within') announce(`${plural(n, 'word')}: within the word guidance.`);
        if (b === 'over') announce(`${plural(n, 'word')}: more than the word guidance.`);
      }
    };
    area.addEventListener('input', () => {
      updateCount();
      record(item, { text: area.value }, 'typing');
    });
    updateCount();
    return h('div', { class: 'field field--written' },
      h('label', { for: id, class: 'field__label' }, 'Your answer'),
      words ? h('p', { id: hintId, class: 'field__hint' },
        `Aim for ${words.min} to ${words.max} words. Your answer is saved as you type.`) : null,
      area, count);
  }

  function drawFlag(item) {
    const id = uid(`flag-${item.id}`);
    const input = h('input', { type: 'checkbox', id, class: 'choice__input', checked: flags.has(item.id),
      'aria-describedby': `${id}-hint` });
    input.addEventListener('change', async () => {
      const on = input.checked;
      if (on) flags.add(item.id); else flags.delete(item.id);
      updateNav();
      try {
        await backend.flag(item.id, on);
      } catch (err) {
        // Undo in the page, so it never shows a flag the client does not have.
        input.checked = !on;
        if (on) flags.delete(item.id); else flags.add(item.id);
        updateNav();
        showError(errorSlot, err);
      }
    });
    return h('div', { class: 'choice choice--flag' }, input,
      h('label', { for: id, class: 'choice__label' }, 'Flag this question for review'),
      h('p', { id: `${id}-hint`, class: 'choice__hint' }, 'Flagged questions are listed on the review '
        + 'page at the end of the section, so you can come back to them. Flagging does not affect your marks.'));
  }

  function drawItem() {
    const item = items[current];
    if (!item) {
      replace(work, h('h2', {}, 'No questions'), h('p', {}, 'This section has no questions.'));
      return;
    }
    const stemId = uid('stem');
    const last = current === items.length - 1;
    const prev = current > 0 ? button('Previous question', () => goTo(current - 1), 'secondary') : null;
    const next = last
      ? button(position.last ? 'Check your answers and submit' : 'Review this section', () => showReview(), 'primary')
      : button('Next question', () => goTo(current + 1), 'primary');
    replace(work,
      h('h2', { class: 'item__heading' }, `Question ${current + 1} of ${items.length}`),
      hasCase ? h('p', { class: 'item__case-link' }, h('a', { href: '#case-material', onclick: (e) => {
        e.preventDefault();
        focusOn(document.querySelector('#case-material h2'));
      } }, 'Go to the case material')) : null,
      h('div', { class: 'item__stem', id: stemId }, paragraphs(item.stem)),
      item.type === 'written' ? drawWritten(item, stemId) : drawOptions(item, stemId),
      drawFlag(item),
      h('div', { class: 'button-row item__move' }, prev, next));
  }

  function itemList(title, list, emptyText) {
    const id = uid('list');
    return h('section', { class: 'review-list', 'aria-labelledby': id },
      h('h3', { id }, `${title} (${list.length})`),
      list.length === 0 ? h('p', {}, emptyText)
        : h('ul', { class: 'review-list__items' }, list.map((i) => h('li', {},
          button(`Go to question ${i + 1}`, () => goTo(i), 'link')))));
  }

  // What finishing means here: the practice run, a section, or the last section (which submits).
  const ending = backend.practice ? {
    heading: 'Finishing the practice run',
    explain: 'In the real assessment, once you finish a section you cannot go back to it.',
    button: 'Finish the practice run',
    ask: 'Finish the practice run?',
    consequence: 'In the real assessment, you could not go back to a finished section.',
    yes: 'Yes, finish the practice run',
    wait: 'Finishing…',
  } : position.last ? {
    heading: 'Submitting your assessment',
    explain: 'This is the last section. When you submit, your answers are sealed and nothing can be '
      + 'changed after that. If the time runs out first, Vigil submits for you with every saved answer.',
    button: 'Submit my assessment',
    ask: 'Submit your assessment?',
    consequence: 'After you submit, you cannot change any answer. Your answers are sent to the assessment '
      + 'team as soon as this computer is online.',
    yes: 'Yes, submit my assessment',
    wait: 'Submitting…',
  } : {
    heading: 'Finishing this section',
    explain: 'Once you finish this section you cannot go back to it. If the time runs out first, Vigil '
      + 'finishes the section for you and keeps every saved answer.',
    button: 'Finish this section',
    ask: 'Finish this section?',
    consequence: 'Once you finish this section, you cannot go back to it or change its answers.',
    yes: 'Yes, finish this section',
    wait: 'Finishing…',
  };

  function drawReview() {
    const unanswered = [];
    const partly = [];
    const flagged = [];
    items.forEach((item, i) => {
      const st = answerState(item, values.get(item.id));
      if (st === 'none') unanswered.push(i);
      if (st === 'partly') partly.push(i);
      if (flags.has(item.id)) flagged.push(i);
    });
    const finish = button(ending.button, () => confirmFinish(finish, unanswered.length + partly.length),
      position.last ? 'primary' : 'warning');
    replace(work,
      h('h2', {}, position.last ? `Check your answers and submit: ${data.title}` : `Check your answers: ${data.title}`),
      h('p', {}, unanswered.length + partly.length === 0
        ? (items.length === 1 ? 'You have answered the question in this section.'
          : `You have answered all ${items.length} questions in this section.`)
        : `You have answered ${items.length - unanswered.length - partly.length} of ${plural(items.length, 'question')}. `
          + 'You can still go back to any question in this section while there is time.'),
      itemList('Not answered', unanswered, 'None.'),
      partly.length ? itemList('Partly answered', partly, 'None.') : null,
      itemList('Flagged for review', flagged, 'You have not flagged any questions.'),
      h('h3', {}, ending.heading),
      h('p', {}, ending.explain),
      h('div', { class: 'button-row' },
        button('Back to the questions', () => goTo(current), 'secondary'), finish));
  }

  async function confirmFinish(btn, notDone) {
    const body = [
      ending.consequence,
      notDone ? `${plural(notDone, 'question')} in this section ${notDone === 1 ? 'is' : 'are'} not fully answered.`
        : 'You have answered every question in this section.',
    ];
    const ok = await confirmDialog({ title: ending.ask, body, confirm: ending.yes, cancel: 'No, go back' });
    if (!ok) return;
    try {
      await busy(btn, async () => {
        const saved = await backend.flush();
        if (!saved) {
          throw new Error('Some of your answers are not saved yet, so nothing has been finished. '
            + 'Vigil is still trying to save them. Please wait until the top of the page says Saved, then try again.');
        }
        await backend.finish();
      }, ending.wait);
    } catch (err) {
      showError(errorSlot, err);
      return;
    }
    backend.onFinished();
  }

  function record(item, value, mode) {
    values.set(item.id, value);
    backend.save(item.id, value, mode);
    updateNav();
  }

  // ---- Assemble ----
  const heading = h('h1', { class: 'section__title' },
    sectionLabel ? h('span', { class: 'section__caption' }, `${sectionLabel}: `) : null, data.title);
  const layout = h('div', { class: ['section-layout', hasCase ? 'section-layout--case' : null] },
    casePanel,
    h('div', { class: 'work' }, errorSlot, work, nav));
  mount(data.title, position.notice || null, heading, layout);
  show(view, false);
  // On first drawing focus the page heading (a new screen); later moves focus the view's heading.
  focusOn(heading);
}

// Whether the intro should open first: a section nobody has started (first item, nothing answered).
export function startsWithIntro(data, itemIndex) {
  if (!data.intro || data.intro.length === 0) return false;
  if (itemIndex) return false;
  return !(data.items || []).some((item) => answerState(item, savedValue(item)) !== 'none' || item.flagged);
}

