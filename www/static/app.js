// The demo webmail's client: plain JS, no build step, nothing loaded from elsewhere.
// Views (by location.hash): #/signin, #/folder/<F>, #/message/<F>/<id>, #/compose, #/compose/draft/<id>,
// #/compose/reply/<F>/<id>, #/compose/forward/<F>/<id>.
// The extension integration contract (ids, data attributes, postMessage) is documented in www/API.md.
// The extension does not trust this page: for a protected (S/MIME) message the page handles the envelope
// (From, recipients, Subject), storage and transport, and never sees the body, which the extension
// writes in its own frame.

const FOLDERS = ['INBOX', 'Sent', 'Drafts'];
const app = document.getElementById('app');
const statusEl = document.getElementById('status');
let user = null;
// The open compose view, if any: { composeId, draftId, form, smimeDraft, original, queue }.
// draftId: the saved draft the view continues (replaced on the next save, deleted once sent);
// smimeDraft: whether that draft is an S/MIME one (its body belongs to the extension);
// original: { folder, id, mode: "reply"|"forward" } for a reply or forward;
// queue: the view's draft saves, one after the other, so that each replaces the one before.
let compose = null;

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

function setStatus(text, isError = false) {
  statusEl.textContent = text || '';
  statusEl.classList.toggle('error', !!isError);
}

async function api(path, opts = {}) {
  const r = await fetch(path, { credentials: 'same-origin', ...opts });
  if (!r.ok) {
    let msg = `${r.status} ${r.statusText}`;
    try { msg = (await r.json()).error || msg; } catch { /* not JSON */ }
    const e = new Error(msg);
    e.status = r.status;
    throw e;
  }
  return r;
}
const getJson = async (path) => (await api(path)).json();
const postJson = async (path, body) =>
  (await api(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })).json();

function post(msg, transfer) {
  window.postMessage({ source: 'webmail', ...msg }, location.origin, transfer || []);
}

function randomId() {
  const b = new Uint8Array(12);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

// Splits an address field at commas outside quotes and angle brackets.
function splitAddresses(s) {
  const out = [];
  let cur = '', quoted = false, angle = false;
  for (const ch of s || '') {
    if (ch === '"') quoted = !quoted;
    else if (ch === '<' && !quoted) angle = true;
    else if (ch === '>' && !quoted) angle = false;
    if ((ch === ',' || ch === ';') && !quoted && !angle) { out.push(cur); cur = ''; } else cur += ch;
  }
  out.push(cur);
  return out.map((x) => x.trim()).filter(Boolean);
}

function toBase64(buf) {
  const bytes = new Uint8Array(buf);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
function fromBase64(b64) {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

// ---- views ----

async function showSignIn() {
  compose = null;
  const users = await getJson('/api/users');
  app.replaceChildren(
    el('section', { id: 'signin' },
      el('h1', {}, 'Sign in'),
      el('p', {}, 'A demo: choose a user, no password.'),
      el('ul', {}, users.map((u) =>
        el('li', {}, el('button', { type: 'button', class: 'user', dataset: { user: u }, onclick: () => signIn(u) }, u))))));
}

async function signIn(u) {
  const r = await postJson('/api/session', { user: u });
  user = r.user;
  updateTopbar();
  if (location.hash === '#/folder/INBOX') route();
  else location.hash = '#/folder/INBOX';
}

function updateTopbar() {
  document.getElementById('whoami').textContent = user || '';
  document.getElementById('signout').hidden = !user;
}

function layout(current, ...content) {
  const nav = el('nav', { id: 'folders' },
    el('button', { type: 'button', id: 'compose-new', onclick: () => { location.hash = '#/compose'; } }, 'Compose'),
    FOLDERS.map((f) => el('a', { href: `#/folder/${f}`, class: f === current ? 'current' : null, dataset: { folder: f } },
      f === 'INBOX' ? 'Inbox' : f)));
  app.replaceChildren(el('div', { class: 'layout' }, nav, el('div', { class: 'content' }, ...content)));
}

async function showFolder(folder) {
  compose = null;
  const rows = await getJson(`/api/folders/${encodeURIComponent(folder)}`);
  const who = folder === 'INBOX' ? 'From' : 'To';
  const table = el('table', { id: 'message-list', dataset: { folder } },
    el('thead', {}, el('tr', {}, el('th', {}, who), el('th', {}, 'Subject'), el('th', {}, 'Date'), el('th', {}, ''))),
    el('tbody', {}, rows.map((m) => {
      const open = () => {
        location.hash = folder === 'Drafts' ? `#/compose/draft/${m.id}` : `#/message/${folder}/${m.id}`;
      };
      return el('tr', { class: 'message-row', dataset: { id: m.id, smime: m.smime || '' }, onclick: open },
        el('td', {}, folder === 'INBOX' ? m.from : m.to),
        el('td', { class: 'subject' }, m.subject || '(no subject)'),
        el('td', {}, m.date),
        el('td', {}, m.smime ? el('span', { class: `badge ${m.smime}` }, m.smime) : ''));
    })));
  layout(folder, el('h2', {}, folder === 'INBOX' ? 'Inbox' : folder),
    rows.length ? table : el('p', { id: 'empty-folder' }, 'No messages.'));
}

async function showMessage(folder, id) {
  compose = null;
  const m = await getJson(`/api/messages/${encodeURIComponent(folder)}/${encodeURIComponent(id)}`);
  const h = m.headers || {};
  const dl = el('dl', { class: 'headers' });
  for (const [label, key] of [['From', 'from'], ['To', 'to'], ['Cc', 'cc'], ['Date', 'date'], ['Subject', 'subject']]) {
    if (h[key]) dl.append(el('dt', {}, label), el('dd', { dataset: { header: key } }, h[key]));
  }
  const body = el('div', { id: 'message-body', 'data-webmail-body': true });
  if (m.text !== null && m.text !== undefined) body.append(el('pre', { id: 'message-text' }, m.text));
  if (m.html) {
    // No scripts, no remote content: sandbox="" here, and the server sends the HTML body with a CSP of
    // its own (sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:).
    body.append(el('iframe', {
      id: 'message-html', sandbox: '', title: 'HTML message', referrerpolicy: 'no-referrer',
      src: `/api/messages/${encodeURIComponent(folder)}/${encodeURIComponent(id)}/html`,
    }));
  }
  const atts = el('ul', { id: 'attachments', 'data-webmail-body': true }, (m.attachments || []).map((a) =>
    el('li', {}, el('a', {
      href: `/api/messages/${folder}/${id}/attachments/${a.index}`, download: a.filename, class: 'attachment',
    }, a.filename), ` (${a.contentType}, ${a.size} bytes)`)));
  const original = el('pre', { id: 'original', hidden: true });
  const answer = (mode) => () => {
    location.hash = `#/compose/${mode}/${encodeURIComponent(folder)}/${encodeURIComponent(id)}`;
  };
  const showOriginal = async () => {
    const r = await api(`/api/messages/${folder}/${id}/raw`);
    original.textContent = new TextDecoder('utf-8').decode(await r.arrayBuffer());
    original.hidden = false;
  };
  const article = el('article', { id: 'message', dataset: { messageId: id, folder, smime: m.smime || '' } },
    el('div', { class: 'toolbar' },
      el('button', { type: 'button', id: 'back', onclick: () => { location.hash = `#/folder/${folder}`; } }, 'Back'),
      el('button', { type: 'button', id: 'reply', onclick: answer('reply') }, 'Reply'),
      el('button', { type: 'button', id: 'forward', onclick: answer('forward') }, 'Forward'),
      el('button', { type: 'button', id: 'show-original', onclick: () => showOriginal().catch(fail) }, 'Show original')),
    dl,
    el('div', { id: 'siegel-slot' }),
    body,
    (m.attachments || []).length ? atts : null,
    original);
  layout(folder, article);
  post({ type: 'message-open', folder, id, smime: m.smime || null });
}

// "Re: " / "Fwd: " before a subject that does not carry it yet.
function prefixed(prefix, re, subject) {
  const s = (subject || '').trim();
  return re.test(s) ? s : `${prefix} ${s}`;
}

// The plain text of a message as the JSON API shows it: its text/plain part, else its HTML part's text
// (DOMParser runs no scripts and loads nothing), with "\n" line ends and no final line end.
function plainText(m) {
  let t = m.text;
  if ((t === null || t === undefined) && m.html) t = new DOMParser().parseFromString(m.html, 'text/html').body.textContent;
  return (t || '').replace(/\r\n?/g, '\n').replace(/\n$/, '');
}

// What a reply or forward of message `m` starts with. For an S/MIME original only the envelope: the
// webmail has no plaintext of it (the extension quotes it in its own editor) and forwards none of its parts.
async function answerTo(m, mode, folder, id) {
  const h = m.headers || {};
  const out = { to: '', subject: '', text: '', files: [] };
  if (mode === 'reply') {
    out.to = h['reply-to'] || h.from || '';
    out.subject = prefixed('Re:', /^re:/i, h.subject);
    if (!m.smime) {
      const quoted = plainText(m).split('\n').map((line) => `> ${line}`).join('\n');
      out.text = `On ${h.date || 'an unknown date'}, ${h.from || 'an unknown sender'} wrote:\n${quoted}\n\n`;
    }
  } else {
    out.subject = prefixed('Fwd:', /^fwd?:/i, h.subject);
    if (!m.smime) {
      out.text = ['', '', '---------- Forwarded message ----------',
        `From: ${h.from || ''}`, `Date: ${h.date || ''}`, `Subject: ${h.subject || ''}`, `To: ${h.to || ''}`,
        '', plainText(m), ''].join('\n');
      for (const a of m.attachments || []) {
        const r = await api(`/api/messages/${encodeURIComponent(folder)}/${encodeURIComponent(id)}/attachments/${a.index}`);
        out.files.push(new File([await r.arrayBuffer()], a.filename, { type: a.contentType || 'application/octet-stream' }));
      }
    }
  }
  return out;
}

// Opens a compose view: a new message ({}), a saved draft ({ draftId }), or a reply or forward of a
// message ({ mode: "reply"|"forward", folder, id }).
async function showCompose(opts = {}) {
  compose = null;
  const hash = location.hash;
  const composeId = randomId();
  const field = (label, id, attrs = {}) => [el('label', { for: id }, label), el('input', { id, name: id, ...attrs })];
  const form = el('form', { id: 'compose', 'data-webmail-compose': true, dataset: { composeId }, autocomplete: 'off' },
    ...field('To', 'compose-to', { type: 'text' }),
    ...field('Cc', 'compose-cc', { type: 'text' }),
    ...field('Bcc', 'compose-bcc', { type: 'text' }),
    ...field('Subject', 'compose-subject', { type: 'text' }),
    el('label', { for: 'compose-body' }, 'Message'), el('textarea', { id: 'compose-body', name: 'compose-body' }),
    ...field('Attachments', 'compose-attachments', { type: 'file', multiple: true }),
    el('div', { class: 'actions' },
      el('button', { type: 'button', id: 'compose-send' }, 'Send'),
      el('button', { type: 'button', id: 'compose-save' }, 'Save draft')));
  form.addEventListener('submit', (e) => e.preventDefault());
  const set = (sel, value) => { form.querySelector(sel).value = value; };
  const setFiles = (files) => {
    const dt = new DataTransfer();
    for (const f of files) dt.items.add(f);
    form.querySelector('#compose-attachments').files = dt.files;
  };
  const c = { composeId, draftId: opts.draftId || null, form, smimeDraft: false, original: null, queue: Promise.resolve() };
  let title = 'New message';
  if (opts.draftId) {
    title = 'Draft';
    const d = await getJson(`/api/drafts/${encodeURIComponent(opts.draftId)}`);
    set('#compose-to', d.to.join(', '));
    set('#compose-cc', d.cc.join(', '));
    set('#compose-bcc', d.bcc.join(', '));
    set('#compose-subject', d.subject);
    form.dataset.draftId = opts.draftId;
    if (d.smime) {
      // An S/MIME draft: the envelope only; its body and attachments are the extension's to open.
      c.smimeDraft = true;
    } else {
      set('#compose-body', d.text);
      setFiles(d.attachments.map((a) => new File([fromBase64(a.dataBase64)], a.filename, { type: a.contentType })));
    }
  } else if (opts.mode) {
    const { mode, folder, id } = opts;
    title = mode === 'reply' ? 'Reply' : 'Forward';
    const m = await getJson(`/api/messages/${encodeURIComponent(folder)}/${encodeURIComponent(id)}`);
    const a = await answerTo(m, mode, folder, id);
    set('#compose-to', a.to);
    set('#compose-subject', a.subject);
    set('#compose-body', a.text);
    setFiles(a.files);
    c.original = { folder, id, mode };
  }
  if (location.hash !== hash) return; // the user went elsewhere meanwhile
  compose = c;
  form.querySelector('#compose-send').addEventListener('click', () => onSend(c).catch(fail));
  form.querySelector('#compose-save').addEventListener('click', () => onSave(c).catch(fail));
  layout(null, el('h2', {}, title), form);
  post(composeOpen(c));
}

// The compose view's announcement: `draft` while it continues an S/MIME draft, `original` for a reply or
// forward.
function composeOpen(c) {
  const m = { type: 'compose-open', composeId: c.composeId };
  if (c.smimeDraft && c.draftId) m.draft = { folder: 'Drafts', id: c.draftId };
  if (c.original) m.original = { ...c.original };
  return m;
}

// Runs `fn` after the compose view's earlier draft saves.
function queued(c, fn) {
  const p = c.queue.then(fn);
  c.queue = p.catch(() => {});
  return p;
}

// The draft of a compose view, in the shape of the postMessage contract (attachments as ArrayBuffers).
async function readDraft(c) {
  const f = c.form;
  const attachments = [];
  for (const file of f.querySelector('#compose-attachments').files) {
    attachments.push({ filename: file.name, contentType: file.type || 'application/octet-stream', data: await file.arrayBuffer() });
  }
  return {
    from: user,
    to: splitAddresses(f.querySelector('#compose-to').value),
    cc: splitAddresses(f.querySelector('#compose-cc').value),
    bcc: splitAddresses(f.querySelector('#compose-bcc').value),
    subject: f.querySelector('#compose-subject').value,
    text: f.querySelector('#compose-body').value,
    attachments,
  };
}

function toJsonCompose(d) {
  return {
    to: d.to, cc: d.cc, bcc: d.bcc, subject: d.subject, text: d.text,
    attachments: d.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, dataBase64: toBase64(a.data) })),
  };
}

async function onSend(c) {
  post({ type: 'send-requested', composeId: c.composeId });
  if (document.documentElement.dataset.siegelIntercept === '1') return; // the extension sends
  const d = await readDraft(c);
  setStatus('Sending…');
  await postJson('/api/send', { ...toJsonCompose(d), draftId: c.draftId || undefined });
  setStatus('Sent.');
  location.hash = '#/folder/Sent';
}

async function onSave(c) {
  post({ type: 'save-requested', composeId: c.composeId });
  if (document.documentElement.dataset.siegelIntercept === '1') return; // the extension saves an encrypted draft
  await queued(c, async () => {
    const d = await readDraft(c);
    const r = await postJson('/api/drafts', { ...toJsonCompose(d), id: c.draftId || undefined });
    c.draftId = r.id;
    c.smimeDraft = false;
    c.form.dataset.draftId = r.id;
  });
  setStatus('Draft saved.');
}

// The open compose view a request names (a request without composeId names the open one).
function composeFor(m) {
  if (!compose || (m.composeId && m.composeId !== compose.composeId)) throw new Error('no such compose view');
  return compose;
}

// ---- the extension's postMessage requests ----

window.addEventListener('message', async (ev) => {
  if (ev.source !== window || ev.origin !== location.origin) return;
  const m = ev.data;
  if (!m || typeof m !== 'object' || m.source !== 'siegel') return;
  const { requestId } = m;
  try {
    if (m.type === 'hello') {
      // An extension script that arrived after the view announced itself: announce it again.
      const article = document.querySelector('article#message[data-message-id]');
      if (compose && document.body.contains(compose.form)) post(composeOpen(compose));
      else if (article) post({ type: 'message-open', folder: article.dataset.folder, id: article.dataset.messageId, smime: article.dataset.smime || null });
    } else if (m.type === 'get-draft') {
      const c = composeFor(m);
      const draft = await readDraft(c);
      post({ type: 'draft', requestId, composeId: c.composeId, draft }, draft.attachments.map((a) => a.data));
    } else if (m.type === 'get-recipients') {
      const c = composeFor(m);
      const f = c.form;
      const list = (id) => splitAddresses(f.querySelector(id).value);
      post({
        type: 'recipients', requestId, composeId: c.composeId, from: user,
        to: list('#compose-to'), cc: list('#compose-cc'), bcc: list('#compose-bcc'), subject: f.querySelector('#compose-subject').value,
      });
    } else if (m.type === 'save-draft') {
      // An S/MIME draft the extension built (encrypted to the sender): stored as it is, replacing the view's draft.
      const c = composeFor(m);
      if (!(m.raw instanceof ArrayBuffer) && !ArrayBuffer.isView(m.raw)) throw new Error('save-draft: raw must be an ArrayBuffer');
      const draftId = await queued(c, async () => {
        const headers = { 'Content-Type': 'message/rfc822' };
        if (c.draftId) headers['X-Draft-Id'] = c.draftId;
        const r = await (await api('/api/drafts/raw', { method: 'POST', headers, body: m.raw })).json();
        c.draftId = r.id;
        c.smimeDraft = true;
        c.form.dataset.draftId = r.id;
        return r.id;
      });
      post({ type: 'draft-saved', requestId, ok: true, draftId });
      setStatus('Draft saved.');
    } else if (m.type === 'set-body') {
      const c = composeFor(m);
      if (typeof m.text !== 'string') throw new Error('set-body: text must be a string');
      // No HTML editor here: the text stands for both.
      c.form.querySelector('#compose-body').value = m.text;
      post({ type: 'body-set', requestId, ok: true });
    } else if (m.type === 'send-raw') {
      const envelopeTo = Array.isArray(m.envelopeTo) ? m.envelopeTo : [];
      const headers = { 'Content-Type': 'message/rfc822', 'X-Envelope-To': envelopeTo.join(', ') };
      // A draft save still under way finishes first, so that the draft deleted is the last one saved.
      if (compose) await compose.queue;
      if (compose && compose.draftId) headers['X-Draft-Id'] = compose.draftId;
      try {
        await api('/api/send-raw', { method: 'POST', headers, body: m.raw });
      } catch (e) {
        post({ type: 'sent', requestId, ok: false, error: e.message });
        return;
      }
      post({ type: 'sent', requestId, ok: true });
      setStatus('Sent.');
      location.hash = '#/folder/Sent';
    } else if (m.type === 'get-raw') {
      const r = await api(`/api/messages/${encodeURIComponent(m.folder)}/${encodeURIComponent(m.id)}/raw`);
      const raw = await r.arrayBuffer();
      post({ type: 'raw', requestId, raw }, [raw]);
    }
  } catch (e) {
    const reply = {
      'get-draft': 'draft', 'get-recipients': 'recipients', 'save-draft': 'draft-saved', 'set-body': 'body-set',
      'send-raw': 'sent', 'get-raw': 'raw',
    }[m.type];
    if (reply) post({ type: reply, requestId, ok: false, error: e.message, ...(e.status === 401 ? { code: 'session-expired' } : {}) });
  }
});

// ---- routing ----

function fail(e) {
  if (e && e.status === 401) { user = null; updateTopbar(); location.hash = '#/signin'; return; }
  setStatus(e && e.message ? e.message : String(e), true);
}

async function route() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  try {
    if (!user) {
      try { user = (await getJson('/api/session')).user; } catch { user = null; }
      updateTopbar();
    }
    if (!user || parts[0] === 'signin') return await showSignIn();
    if (parts[0] === 'folder' && FOLDERS.includes(parts[1])) return await showFolder(parts[1]);
    if (parts[0] === 'message' && parts[2]) return await showMessage(parts[1], parts[2]);
    if (parts[0] === 'compose') {
      if (parts[1] === 'draft' && parts[2]) return await showCompose({ draftId: parts[2] });
      if ((parts[1] === 'reply' || parts[1] === 'forward') && parts[2] && parts[3]) {
        return await showCompose({ mode: parts[1], folder: parts[2], id: parts[3] });
      }
      return await showCompose({});
    }
    location.hash = '#/folder/INBOX';
  } catch (e) {
    fail(e);
  }
}

document.getElementById('signout').addEventListener('click', async () => {
  await api('/api/session', { method: 'DELETE' }).catch(() => {});
  user = null;
  updateTopbar();
  location.hash = '#/signin';
});
window.addEventListener('hashchange', route);
route();
