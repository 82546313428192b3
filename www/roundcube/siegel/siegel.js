/**
 * Siegel for Roundcube, the page side: speaks for Roundcube to Siegel's content script with the page
 * contract of Siegel's client API (www/API.md, section 2: window.postMessage on this window, messages of
 * `source: "siegel"` answered with `source: "webmail"`). It never sees a key or a decrypted message: it hands
 * the extension the draft the user wrote, sends the bytes the extension sealed through the plugin's
 * siegel-send action, stores the drafts it encrypted through siegel-draft, and fetches a message's stored
 * bytes through siegel-raw.
 *
 * Messages: compose-open (with the S/MIME draft it continues and the message it replies to or forwards),
 * send-requested, save-requested and message-open (posted by this page); get-draft, get-recipients,
 * lookup-certificates, send-raw, save-draft, set-body, get-raw and hello (asked by the extension; hello
 * repeats compose-open / message-open for a content script that arrived late).
 */
(function () {
  "use strict";
  if (!window.rcmail || !rcmail.env || !rcmail.env.siegel_api) return;

  var post = function (message, transfer) {
    window.postMessage(Object.assign({ source: "webmail" }, message), location.origin, transfer || []);
  };

  function label(name, fallback) {
    var text = rcmail.get_label("siegel." + name);
    return text && text !== "siegel." + name ? text : fallback;
  }

  /** A failed request of the plugin: its JSON error, or (a login page, Roundcube's session error) expiry. */
  function SiegelError(message, code) {
    var e = new Error(message);
    e.code = code || "webmail";
    return e;
  }

  async function pluginAnswer(response) {
    var type = response.headers.get("content-type") || "";
    var text = await response.text().catch(function () { return ""; });
    if (type.indexOf("application/json") === 0) {
      var body = null;
      try { body = JSON.parse(text); } catch (e) { body = null; }
      if (body && body.siegel === 1) {
        if (!body.ok) throw SiegelError(body.error || "The server refused the request.", body.code);
        return body;
      }
      // Roundcube's own JSON for a request without a session: a session_error command.
      if (body && /session_error/.test(String(body.exec || ""))) throw expired();
    }
    // Without a session, Roundcube answers with its login page, never with the plugin's JSON.
    if (/<form[^>]+name="login-form"|id="rcmloginuser"/.test(text)) throw expired();
    // Anything else (a proxy's error page, a PHP failure): the outcome is not known.
    throw SiegelError("The server answered unexpectedly (HTTP " + response.status + "), so Siegel cannot tell whether the message was sent. Look in your Sent folder before sending again.", "webmail");
  }

  function expired() {
    return SiegelError(label("errorsession", "Your Roundcube session has expired: sign in again. Nothing was sent."), "session-expired");
  }

  function pluginUrl(action, params) {
    return rcmail.url("mail/plugin.siegel-" + action, params);
  }

  /** Splits an address field at commas outside quotes and angle brackets. */
  function addresses(value) {
    var out = [], current = "", quoted = false, angle = 0;
    for (var i = 0; i < value.length; i++) {
      var ch = value[i];
      if (ch === "\\" && quoted && i + 1 < value.length) {
        current += ch + value[++i];
        continue;
      }
      if (ch === '"') quoted = !quoted;
      else if (!quoted && ch === "<") angle++;
      else if (!quoted && ch === ">") angle = Math.max(0, angle - 1);
      if ((ch === "," || ch === ";") && !quoted && angle === 0) {
        out.push(current);
        current = "";
      } else {
        current += ch;
      }
    }
    out.push(current);
    return out.map(function (s) { return s.trim(); }).filter(Boolean);
  }

  /** The bare address of "Name <a@b>" or "a@b", lower-cased. */
  function bare(text) {
    var m = /<([^<>]+)>\s*$/.exec(String(text));
    return (m ? m[1] : String(text)).trim().toLowerCase();
  }

  function field(id) {
    var el = document.getElementById(id);
    return el ? el.value || "" : "";
  }

  /** The sender as "Name <address>": the selected identity (a select), or the fixed one (a text input). */
  function sender() {
    var from = document.getElementById("_from");
    if (!from) return "";
    if (from.tagName === "SELECT") {
      var option = from.options[from.selectedIndex];
      return option ? option.text : "";
    }
    return from.value;
  }

  /** Refuses a request for another compose view than this page's (one without composeId means this one). */
  function requireCompose(composeId) {
    if (rcmail.env.action !== "compose" || (composeId !== undefined && composeId !== rcmail.env.compose_id)) {
      throw SiegelError("This compose view is no longer open.");
    }
  }

  async function draft(composeId) {
    requireCompose(composeId);
    var attachments = [];
    var list = rcmail.env.attachments || {};
    for (var key in list) {
      var att = list[key];
      if (!att || (typeof att === "object" && att.complete === false)) {
        throw SiegelError(rcmail.get_label("notuploadedwarning"));
      }
      var r = await fetch(rcmail.url("mail/display-attachment", { _file: key, _id: rcmail.env.compose_id }), { credentials: "same-origin" });
      // Roundcube answers a lost compose session with a short text or its login page, not the file.
      if (!r.ok || /^text\/html/.test(r.headers.get("content-type") || "") && !/html/.test(att.mimetype || "")) {
        throw SiegelError("An attachment could not be read back from the server (HTTP " + r.status + "); reload the compose view and attach it again. Nothing was sent.");
      }
      attachments.push({
        filename: att.name || key,
        contentType: att.mimetype || r.headers.get("content-type") || "application/octet-stream",
        data: await r.arrayBuffer(),
      });
    }
    var html = rcmail.editor && rcmail.editor.is_html();
    return {
      from: sender(),
      to: addresses(field("_to")),
      cc: addresses(field("_cc")),
      bcc: addresses(field("_bcc")),
      subject: field("compose-subject"),
      text: html ? rcmail.editor.get_content({ format: "text", refresh: false }) : field("composebody"),
      html: html ? rcmail.editor.get_content({ format: "html", refresh: false }) : undefined,
      attachments: attachments,
    };
  }

  /**
   * Sends the sealed bytes. Bcc recipients go in a Bcc field above the message (outside anything signed or
   * encrypted); the plugin delivers to them and removes the field from what it sends.
   */
  async function sendRaw(raw, bcc) {
    var body = raw;
    if (bcc.length) {
      // One address per folded line; line breaks typed into the field must not start a header of their own.
      var clean = bcc.map(function (a) { return a.replace(/[\r\n]+/g, " "); });
      var head = new TextEncoder().encode("Bcc: " + clean.join(",\r\n ") + "\r\n");
      body = new Uint8Array(head.length + raw.byteLength);
      body.set(head, 0);
      body.set(new Uint8Array(raw), head.length);
    }
    return postMessageBytes("send", body);
  }

  /**
   * POSTs a message's bytes to the plugin's `action` (siegel-send or siegel-draft) for this compose view,
   * naming its saved draft (which the plugin replaces or deletes); returns the plugin's answer.
   */
  async function postMessageBytes(action, body) {
    var params = { _id: rcmail.env.compose_id };
    if (rcmail.env.draft_id) params._draft_saveid = rcmail.env.draft_id;
    var r = await fetch(pluginUrl(action, params), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "message/rfc822", "X-Roundcube-Request": rcmail.env.request_token },
      body: body,
    });
    return pluginAnswer(r);
  }

  /**
   * Stores the draft the extension encrypted in place of this compose view's saved draft; returns the new
   * draft's UID (null when the server could not tell it).
   */
  async function saveDraft(raw) {
    return (await postMessageBytes("draft", raw)).draftId || null;
  }

  /**
   * Puts text (or HTML, in the HTML editor when Roundcube has one) into Roundcube's body editor. Switching
   * to HTML without conversion makes TinyMCE start from the textarea, so the HTML goes there first.
   */
  function setBody(text, html) {
    var editor = rcmail.editor;
    var textarea = document.getElementById(rcmail.env.composebody);
    if (!editor || !textarea) throw SiegelError("This compose view has no body editor.");
    var canHtml = typeof html === "string" && !!window.tinymce && !!rcmail.commands["toggle-editor"];
    if (canHtml && editor.is_html()) {
      editor.set_content(html);
    } else if (canHtml) {
      textarea.value = html;
      rcmail.command("toggle-editor", { id: rcmail.env.composebody, html: true, noconvert: true });
    } else {
      if (editor.is_html()) rcmail.command("toggle-editor", { id: rcmail.env.composebody, html: false, noconvert: true });
      editor.set_content(text);
    }
  }

  /** Recipients' certificates from Roundcube's LDAP address books: `{ address: { certificates } | { error } }`. */
  async function certificates(emails) {
    var r = await fetch(pluginUrl("certificates"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Roundcube-Request": rcmail.env.request_token },
      body: JSON.stringify({ emails: emails }),
    });
    return (await pluginAnswer(r)).results || {};
  }

  async function raw(folder, uid) {
    var r = await fetch(pluginUrl("raw", { _uid: uid, _mbox: folder }), {
      credentials: "same-origin",
      headers: { "X-Roundcube-Request": rcmail.env.request_token },
    });
    if ((r.headers.get("content-type") || "").indexOf("application/octet-stream") !== 0) await pluginAnswer(r);
    return r.arrayBuffer();
  }

  /** `{folder, id}` (and `mode`) from an env value the plugin set, or undefined. */
  function ref(value, withMode) {
    if (!value || typeof value !== "object" || typeof value.folder !== "string" || value.id == null) return undefined;
    var out = { folder: value.folder, id: String(value.id) };
    if (withMode) {
      if (value.mode !== "reply" && value.mode !== "forward") return undefined;
      out.mode = value.mode;
    }
    return out;
  }

  /**
   * The S/MIME draft the compose view continues: the one it was opened on (the plugin's siegel_draft), then
   * the one the last save-draft stored; none once Roundcube saved a (plain) draft of its own instead, which
   * changes draft_id.
   */
  function smimeDraft() {
    var draftRef = ref(rcmail.env.siegel_draft, false);
    return draftRef && draftRef.id === String(rcmail.env.draft_id || "") ? draftRef : undefined;
  }

  function opened() {
    if (rcmail.env.action === "compose" && rcmail.env.compose_id) {
      var message = { type: "compose-open", composeId: rcmail.env.compose_id };
      var draftRef = smimeDraft();
      var original = ref(rcmail.env.siegel_original, true);
      if (draftRef) message.draft = draftRef;
      if (original) message.original = original;
      post(message);
    } else if ((rcmail.env.action === "show" || rcmail.env.action === "preview") && rcmail.env.uid) {
      post({ type: "message-open", folder: rcmail.env.mailbox, id: String(rcmail.env.uid), smime: rcmail.env.siegel_smime || null });
    }
  }

  // Saves of this compose view go to the server one after the other, in the order asked, and sending waits
  // for them (siegel-send deletes the draft the last one stored).
  var saving = Promise.resolve();

  var answers = {
    hello: function () { opened(); },
    "get-draft": async function (m) {
      return { type: "draft", composeId: rcmail.env.compose_id, draft: await draft(m.composeId) };
    },
    "get-recipients": async function (m) {
      requireCompose(m.composeId);
      return {
        type: "recipients", composeId: rcmail.env.compose_id, from: sender(),
        to: addresses(field("_to")), cc: addresses(field("_cc")), bcc: addresses(field("_bcc")),
        subject: field("compose-subject"),
      };
    },
    "lookup-certificates": async function (m) {
      var emails = Array.isArray(m.emails) ? m.emails.filter(function (e) { return typeof e === "string"; }).slice(0, 50) : [];
      return { type: "certificates", results: emails.length ? await certificates(emails) : {} };
    },
    "send-raw": async function (m) {
      if (m.composeId !== undefined && m.composeId !== rcmail.env.compose_id) throw SiegelError("This compose view is no longer open.");
      // Bcc: the envelope the extension sealed for, less the To and Cc the message names.
      var shown = addresses(field("_to")).concat(addresses(field("_cc"))).map(bare);
      var bcc = (Array.isArray(m.envelopeTo) ? m.envelopeTo : []).filter(function (a) { return shown.indexOf(bare(a)) < 0; });
      await saving;
      var result = await sendRaw(m.raw, bcc);
      // Done as after Roundcube's own sending: no "discard changes?" question, back to the list.
      rcmail.sent_successfully("confirmation", rcmail.get_label("messagesent"), result.sentFolder ? [result.sentFolder] : []);
      if (!result.savedToSent) rcmail.display_message(rcmail.get_label("errorsavingsent"), "warning");
      return { type: "sent", ok: true };
    },
    "save-draft": async function (m) {
      requireCompose(m.composeId);
      if (!(m.raw instanceof ArrayBuffer || ArrayBuffer.isView(m.raw))) throw SiegelError("The draft to save is missing.");
      var run = saving.then(async function () {
        var id = await saveDraft(m.raw);
        // As after Roundcube's own draft saving: the next save replaces this draft, sending deletes it, and
        // leaving does not ask "discard changes?" about what Siegel saved.
        if (id) {
          rcmail.set_draft_id(id);
          rcmail.env.siegel_draft = { folder: rcmail.env.drafts_mailbox, id: String(id) };
        }
        rcmail.compose_field_hash(true);
        return { type: "draft-saved", draftId: id };
      });
      saving = run.catch(function () {});
      return run;
    },
    "set-body": async function (m) {
      requireCompose(m.composeId);
      if (typeof m.text !== "string") throw SiegelError("The text for the body is missing.");
      setBody(m.text, m.html);
      return { type: "body-set" };
    },
    "get-raw": async function (m) {
      var data = await raw(String(m.folder), String(m.id));
      return { type: "raw", raw: data, transfer: [data] };
    },
  };
  var failureType = {
    "get-draft": "draft", "get-recipients": "recipients", "lookup-certificates": "certificates", "send-raw": "sent",
    "save-draft": "draft-saved", "set-body": "body-set", "get-raw": "raw",
  };

  window.addEventListener("message", async function (ev) {
    if (ev.source !== window || ev.origin !== location.origin) return;
    var m = ev.data;
    if (!m || m.source !== "siegel" || typeof m.type !== "string" || !Object.prototype.hasOwnProperty.call(answers, m.type)) return;
    try {
      var answer = await answers[m.type](m);
      if (!answer) return;
      var transfer = answer.transfer;
      delete answer.transfer;
      post(Object.assign({ requestId: m.requestId, ok: true }, answer), transfer);
    } catch (e) {
      post({ type: failureType[m.type], requestId: m.requestId, ok: false, code: e.code || "webmail", error: String(e.message || e) });
    }
  });

  /**
   * Roundcube is about to save or send by itself while the view continues an S/MIME draft. Without the
   * extension on the page, Roundcube never had that draft's content (the plugin showed only its header
   * fields), so its form must not name the draft as the one to replace (send.php deletes `_draft_saveid`
   * after saving or sending): the encrypted draft stays in Drafts beside what Roundcube stores.
   */
  function keepSmimeDraft() {
    if (document.documentElement.dataset.siegel === "active" || !smimeDraft()) return;
    var input = rcmail.gui_objects.messageform && rcmail.gui_objects.messageform.elements._draft_saveid;
    if (input) input.value = "";
  }

  rcmail.addEventListener("init", function () {
    opened();
    if (rcmail.env.action !== "compose") return;
    // Every way of sending (the button, the keyboard shortcut) runs the "send" command: while the extension
    // holds Send (it signs or encrypts), the page tells it and does not send by itself.
    rcmail.addEventListener("beforesend", function () {
      post({ type: "send-requested", composeId: rcmail.env.compose_id });
      if (document.documentElement.dataset.siegelIntercept === "1") return false;
      keepSmimeDraft();
    });
    // Every way of saving a draft (the Save button, its keyboard shortcut, the autosave timer) runs the
    // "savedraft" command: while the extension holds the draft, Roundcube stores no plaintext copy of its own.
    rcmail.addEventListener("beforesavedraft", function () {
      post({ type: "save-requested", composeId: rcmail.env.compose_id });
      if (document.documentElement.dataset.siegelIntercept === "1") return false;
      keepSmimeDraft();
    });
  });
})();
