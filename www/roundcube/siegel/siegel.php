<?php

/**
 * Siegel for Roundcube: the server half of Siegel's client API (see README.md beside this file).
 *
 * Siegel signs, encrypts, decrypts and verifies S/MIME in the user's browser. Roundcube cannot send bytes
 * that a client built, nor hand a client the exact bytes of a stored message; this plugin adds both, and
 * nothing else. It never sees a key and never parses S/MIME.
 *
 *  - POST ?_task=mail&_action=plugin.siegel-send (body: the RFC 5322 message, Content-Type message/rfc822):
 *    delivers those exact bytes through Roundcube's own SMTP settings as the signed-in user, to the To, Cc
 *    and Bcc recipients of the message, with every Bcc field removed from what is sent, and stores the
 *    message in the user's Sent folder. Refused unless From (and Sender, if there is one) is one of the
 *    user's identities, and for any Resent-* field.
 *  - POST ?_task=mail&_action=plugin.siegel-draft (body: a draft Siegel encrypted to the sender, as above):
 *    stores those exact bytes in the Drafts folder (flags \Draft and \Seen), replacing the draft named by
 *    `_draft_saveid`. Refused unless the top-level type is S/MIME enveloped-data or authEnveloped-data: it
 *    never stores plaintext.
 *  - GET ?_task=mail&_action=plugin.siegel-raw&_uid=U&_mbox=M: the stored bytes of a message.
 *  - POST ?_task=mail&_action=plugin.siegel-certificates (body: JSON `{"emails": [...]}`): the certificates
 *    the LDAP address books (`ldap_public`, or those named by `siegel_ldap_addressbooks`) hold for each
 *    address (lib/siegel_directory.php), for the extension to validate: `{"results": {address:
 *    {"certificates": [base64 DER]} | {"error": "…"}}}`.
 *
 * All require the session's request token in the X-Roundcube-Request header (Roundcube's CSRF token,
 * as its own AJAX requests send it) and answer JSON errors `{"siegel": 1, "ok": false, "error": "…"}`.
 *
 * The organisation's rule (as Exchange's OWAAlwaysSign / OWAAlwaysEncrypt), in config.inc.php:
 *  - `siegel_require_signed` (default false): every message the user sends must be S/MIME signed (or
 *    encrypted: the server cannot see inside an encrypted message; the extension signs inside when its own
 *    policy says so).
 *  - `siegel_require_encrypted` (default false): every message must be S/MIME encrypted, and no draft may
 *    be stored unencrypted.
 * With either, Roundcube's own sending (the message_before_send hook: its Send button, Redirect, read
 * receipts) is refused with a sentence that sends the user to Siegel, and siegel-send refuses a message
 * whose top-level type does not meet the rule; with siegel_require_encrypted, Roundcube's own (plaintext)
 * draft saving is refused too (the message_ready hook, the last one before it stores the draft).
 *
 * For the compose view, the page learns `rcmail.env.siegel_draft` = {folder, id} when it continues a saved
 * draft whose top-level type is S/MIME (Roundcube then shows its header fields only: no body, no
 * smime.p7m attachment), and `rcmail.env.siegel_original` = {folder, id, mode: "reply"|"forward"} for a
 * reply or forward of one message. The page script siegel.js speaks for Roundcube to the extension (the
 * page contract of www/API.md).
 */
class siegel extends rcube_plugin
{
    public $task = 'mail';

    /** The largest message siegel-send accepts when neither siegel_max_message_size nor max_message_size is set. */
    const DEFAULT_MAX_SIZE = 52428800;

    /** The DER of the content types of a CMS ContentInfo (RFC 5652, RFC 5083), by smime-type (RFC 8551). */
    const CMS_TYPES = [
        'enveloped-data' => "\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x03",
        'authenveloped-data' => "\x06\x0b\x2a\x86\x48\x86\xf7\x0d\x01\x09\x10\x01\x17",
        'signed-data' => "\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02",
    ];

    private $rc;

    /** The label of the sentence that ends a refusal of the running action ("Nothing was sent."). */
    private $outcome = 'nothingsent';

    public function init()
    {
        $this->rc = rcmail::get_instance();
        $this->load_config();
        $this->register_action('plugin.siegel-send', [$this, 'send']);
        $this->register_action('plugin.siegel-draft', [$this, 'draft']);
        $this->register_action('plugin.siegel-raw', [$this, 'raw']);
        $this->register_action('plugin.siegel-certificates', [$this, 'certificates']);
        $this->add_hook('message_load', [$this, 'message_load']);
        $this->add_hook('render_page', [$this, 'render_page']);
        $this->add_hook('message_before_send', [$this, 'message_before_send']);
        $this->add_hook('message_ready', [$this, 'message_ready']);

        $this->add_texts('localization/', ['errorsession']);
        if ($this->rc->output instanceof rcmail_output_html && !preg_match('/^plugin\.siegel-/', (string) $this->rc->action)) {
            $this->include_script('siegel.js');
            $this->rc->output->set_env('siegel_api', 1);
            $this->rc->output->set_env('siegel_max_size', $this->max_size());
        }
    }

    /**
     * Marks every page, so that the extension's Roundcube adapter runs only where this plugin answers, and
     * tells a compose view which message it replies to or forwards. render_page runs before Roundcube
     * writes the page's env, and after compose.php has filled in the compose session.
     */
    public function render_page($args)
    {
        $this->rc->output->add_header(html::tag('meta', ['name' => 'webmail-api', 'content' => 'roundcube-siegel-1']));
        if (($args['template'] ?? '') === 'compose' && $this->rc->action === 'compose') {
            $original = self::original_of($this->compose_session() ?: []);
            if ($original) {
                $this->rc->output->set_env('siegel_original', $original);
            }
        }
        return $args;
    }

    /**
     * Tells the page whether the message being shown is S/MIME, from its top-level Content-Type only (as
     * siegel-webmail's `smime` hint): a hint for the extension, never a verdict. In a compose view that
     * continues an S/MIME draft, Roundcube gets the draft's header fields only (see smime_draft).
     */
    public function message_load($args)
    {
        $message = $args['object'];
        $structure = $message->headers->structure ?? null;
        if ($this->rc->output instanceof rcmail_output_html && $structure) {
            $kind = self::smime_kind($structure->mimetype ?? '', (array) ($structure->ctype_parameters ?? []));
            $this->rc->output->set_env('siegel_smime', $kind);
            if ($this->rc->action === 'compose') {
                $this->smime_draft($message, $kind);
            }
        }
        return $args;
    }

    /**
     * A compose view that continues a saved S/MIME draft: the extension reopens it in its own editor, so
     * Roundcube keeps only the draft's header fields (From, To, Cc, Bcc, Subject): the message loses its
     * parts before compose.php reads them, which leaves the body editor empty and adds no smime.p7m
     * attachment. The page learns where the draft is (`siegel_draft`); siegel.js keeps Roundcube's own
     * saving or sending from deleting it while the extension is not there to open it.
     */
    private function smime_draft($message, $kind)
    {
        $compose = $this->compose_session();
        $drafts = (string) $this->rc->config->get('drafts_mbox');
        if ($kind === null || !$compose || ($compose['mode'] ?? null) !== 'draft' || $message->context !== null
            || (string) ($compose['param']['draft_uid'] ?? '') !== (string) $message->uid || $message->folder !== $drafts
        ) {
            return;
        }
        $message->parts = [];
        $message->mime_parts = [];
        $message->attachments = [];
        $message->inline_parts = [];
        $message->body = '';
        $this->rc->output->set_env('siegel_draft', ['folder' => $drafts, 'id' => (string) $message->uid]);
    }

    /**
     * The message a compose session replies to or forwards, as the page contract names it: `{folder, id,
     * mode}` with mode "reply" (also reply-all) or "forward", or null. compose.php sets reply_uid and
     * forward_uid (and mailbox) for a reply or forward, and from X-Draft-Info for a draft that continues
     * one. Only one message by UID: a forward of several messages, or a reply to a message attached to
     * another (UID.PART), has none.
     */
    public static function original_of(array $compose)
    {
        foreach (['reply_uid' => 'reply', 'forward_uid' => 'forward'] as $key => $mode) {
            if (!empty($compose[$key])) {
                $ref = self::message_ref($compose[$key], (string) ($compose['mailbox'] ?? ''));
                return $ref ? $ref + ['mode' => $mode] : null;
            }
        }
        return null;
    }

    /**
     * `{folder, id}` of one message given as Roundcube names it: a UID, or "UID-FOLDER" (a search over
     * several folders), also as the only item of an array (a forward as attachment turns the UID into a
     * list); null for anything else (several messages, UID.PART).
     */
    public static function message_ref($uid, $mailbox)
    {
        if (is_array($uid) && count($uid) === 1) {
            $uid = reset($uid);
        }
        if ((!is_string($uid) && !is_int($uid)) || !preg_match('/^([0-9]+)(?:-(.+))?$/s', (string) $uid, $m)) {
            return null;
        }
        $folder = isset($m[2]) && $m[2] !== '' ? $m[2] : (string) $mailbox;
        return $folder === '' ? null : ['folder' => $folder, 'id' => $m[1]];
    }

    /**
     * The organisation's rule against Roundcube's own sending: rcube::deliver_message runs this hook before
     * it talks to the SMTP server, for every message Roundcube builds (the Send button, Redirect, read
     * receipts), and returns our error without sending when it is aborted. Roundcube cannot sign or
     * encrypt, so under the rule nothing it builds may leave; Siegel's own sending (siegel-send) does not
     * pass through here.
     */
    public function message_before_send($args)
    {
        $rule = $this->rule();
        if ($rule) {
            $args['abort'] = true;
            $args['result'] = false;
            $args['error'] = ['label' => 'siegel.errorpolicysend', 'vars' => ['rule' => $this->gettext($rule)]];
        }
        return $args;
    }

    /**
     * Roundcube's own draft saving (send.php with _draft, also its "save the sent copy only" step). No hook
     * of rcmail_sendmail or send.php can abort a draft; message_ready is the last one before the IMAP
     * APPEND, so under siegel_require_encrypted it answers as send.php's own error handler does (a message,
     * the iframe response, exit): nothing is stored, and the autosave timer is not restarted.
     */
    public function message_ready($args)
    {
        $saving = !empty($_POST['_draft']) || !empty($_GET['_saveonly']);
        if ($this->rc->action === 'send' && $saving && $this->rc->config->get('siegel_require_encrypted')) {
            $this->rc->output->show_message('siegel.errorpolicydraft', 'error');
            $this->rc->output->send('iframe');
        }
        return $args;
    }

    /** The label naming what the organisation requires ("signed", "encrypted", both), or null. */
    private function rule()
    {
        $signed = (bool) $this->rc->config->get('siegel_require_signed');
        $encrypted = (bool) $this->rc->config->get('siegel_require_encrypted');
        return $signed && $encrypted ? 'ruleboth' : ($encrypted ? 'ruleencrypted' : ($signed ? 'rulesigned' : null));
    }

    /**
     * "signed", "encrypted" or null, as www/API.md defines `smime`, from the top-level MIME type and its
     * parameters. A multipart/signed of another protocol (PGP/MIME) is not S/MIME. With $strict, "encrypted"
     * only for the smime-types that are encrypted (enveloped-data, authEnveloped-data), not for a missing or
     * other one (compressed-data): what the organisation's rule and siegel-draft accept.
     */
    public static function smime_kind($mimetype, array $params, $strict = false)
    {
        $mimetype = strtolower((string) $mimetype);
        $params = array_change_key_case($params, CASE_LOWER);
        if ($mimetype === 'multipart/signed') {
            $protocol = strtolower(trim((string) ($params['protocol'] ?? '')));
            return in_array($protocol, ['application/pkcs7-signature', 'application/x-pkcs7-signature'], true) ? 'signed' : null;
        }
        if ($mimetype === 'application/pkcs7-mime' || $mimetype === 'application/x-pkcs7-mime') {
            $kind = strtolower(trim((string) ($params['smime-type'] ?? '')));
            if ($kind === 'signed-data') {
                return 'signed';
            }
            if ($strict) {
                return in_array($kind, ['enveloped-data', 'authenveloped-data'], true) ? 'encrypted' : null;
            }
            return $kind === 'certs-only' ? null : 'encrypted';
        }
        return null;
    }

    /**
     * What a message's top level shows of S/MIME, for the organisation's rule and siegel-draft: "encrypted"
     * (smime-type enveloped-data or authEnveloped-data), "signed" (multipart/signed with an S/MIME
     * signature, or smime-type signed-data), else null. For application/pkcs7-mime the body must also be the
     * CMS content its smime-type announces (a plain text labelled as encrypted is not); a multipart/signed is
     * taken by its type. The server sees no further: an encrypted message may or may not be signed inside.
     * `$fields`: split_message's header fields; `$body`: the bytes after the header.
     */
    public static function protection(array $fields, $body)
    {
        $types = $fields['content-type'] ?? [];
        if (count($types) !== 1) {
            return null;
        }
        list($mimetype, $params) = self::content_type($types[0]);
        $kind = self::smime_kind($mimetype, $params, true);
        if ($kind === null || $mimetype === 'multipart/signed') {
            return $kind;
        }
        $encodings = $fields['content-transfer-encoding'] ?? [];
        if (count($encodings) > 1) {
            return null;
        }
        $smime_type = strtolower(trim((string) ($params['smime-type'] ?? '')));
        $found = self::cms_type($body, $encodings[0] ?? '7bit');
        return $found !== null && $found === $smime_type ? $kind : null;
    }

    /**
     * The MIME type (lower case) and parameters (lower-case names, unquoted values) of a Content-Type
     * value, comments removed.
     */
    public static function content_type($value)
    {
        $items = rcube_mime::explode_header_string(';', (string) $value, true);
        $mimetype = strtolower(trim((string) array_shift($items)));
        $params = [];
        foreach ($items as $item) {
            $pair = explode('=', $item, 2);
            if (count($pair) === 2) {
                $v = trim($pair[1]);
                if (strlen($v) > 1 && $v[0] === '"' && substr($v, -1) === '"') {
                    $v = stripcslashes(substr($v, 1, -1));
                }
                $params[strtolower(trim($pair[0]))] = $v;
            }
        }
        return [$mimetype, $params];
    }

    /**
     * The smime-type whose CMS content type (CMS_TYPES) the body starts with: the ContentInfo SEQUENCE (any
     * length form, BER's indefinite one too, as streaming encoders write it) and its contentType OID. Null
     * for anything else. `$encoding`: the Content-Transfer-Encoding (base64, as S/MIME is sent; else raw).
     */
    public static function cms_type($body, $encoding)
    {
        $body = (string) $body;
        if (strtolower(trim((string) $encoding)) === 'base64') {
            // The first 48 bytes are plenty; whole groups of four, so that strict decoding accepts them.
            $b64 = preg_replace('/[\r\n\t ]+/', '', substr($body, 0, 512));
            $body = base64_decode(substr($b64, 0, min(64, strlen($b64) - strlen($b64) % 4)), true);
            if ($body === false) {
                return null;
            }
        }
        if (strlen($body) < 2 || $body[0] !== "\x30") {
            return null;
        }
        $length = ord($body[1]);
        $offset = 2 + ($length > 0x80 ? $length - 0x80 : 0);
        if ($length > 0x84) {
            return null;
        }
        foreach (self::CMS_TYPES as $type => $oid) {
            if (substr($body, $offset, strlen($oid)) === $oid) {
                return $type;
            }
        }
        return null;
    }

    /** siegel-send: delivers the request body as it is. */
    public function send()
    {
        $this->require_request('POST');
        $raw = $this->read_message();
        $message = self::split_message($raw);
        if (!$message) {
            $this->fail(400, 'errornotmessage');
        }
        $from = $this->check_sender($message['fields']);
        $this->check_rule($message);

        // Recipients: To, Cc and Bcc of the message.
        $recipients = [];
        foreach (['to', 'cc', 'bcc'] as $name) {
            foreach ($message['fields'][$name] ?? [] as $value) {
                foreach (rcube_mime::decode_address_list($value, null, false, null, true) as $address) {
                    if (!rcube_utils::check_email($address, false)) {
                        $this->fail(400, 'erroraddress', ['address' => $address]);
                    }
                    $recipients[strtolower($address)] = $address;
                }
            }
        }
        if (!$recipients) {
            $this->fail(400, 'errornorecipients');
        }
        $max_recipients = (int) $this->rc->config->get('max_recipients');
        if ($max_recipients > 0 && count($recipients) > $max_recipients) {
            $this->fail(400, 'errortoomanyrecipients', ['max' => $max_recipients]);
        }
        $delay = (int) $this->rc->config->get('sendmail_delay');
        if ($delay > 0 && ($wait = (int) ($this->rc->user->get_prefs()['last_message_time'] ?? 0) + $delay - time()) > 0) {
            $this->fail(429, 'errordelay', ['sec' => $wait]);
        }

        // Over SMTP without any Bcc field; the Sent copy keeps it, as Roundcube's own sending does.
        $smtp_bytes = $message['without_bcc'];
        if (!self::survives_net_smtp($smtp_bytes)) {
            $this->fail(400, 'errorchunk');
        }
        $this->rc->smtp_init(true);
        $sent = $this->rc->smtp->send_mail($from, array_values($recipients), '', $smtp_bytes, []);
        $response = $this->rc->smtp->get_response();
        $error = $this->rc->smtp->get_error();
        $this->rc->smtp->disconnect();
        if (!$sent) {
            rcube::raise_error(['code' => 800, 'type' => 'smtp', 'line' => __LINE__, 'file' => __FILE__,
                'message' => 'siegel-send: ' . implode("\n", (array) $response)], true, false);
            $text = !empty($error['label']) ? $this->rc->gettext(['name' => $error['label'], 'vars' => $error['vars'] ?? []]) : $this->rc->gettext('sendingfailed');
            $this->fail(502, 'errorsmtp', ['reason' => $text]);
        }
        if ($this->rc->config->get('smtp_log')) {
            rcube::write_log('sendmail', sprintf('User %s [%s]; Message %s for %s (siegel); %s',
                $this->rc->user->get_username(), rcube_utils::remote_addr(),
                trim($message['fields']['message-id'][0] ?? ''), implode(', ', $recipients), implode('; ', (array) $response)));
        }
        if ($delay > 0) {
            $this->rc->user->save_prefs(['last_message_time' => time()]);
        }

        $saved_to = $this->save_sent($raw);
        $this->forget_compose();

        $this->answer(200, ['ok' => true, 'recipients' => array_values($recipients), 'sentFolder' => $saved_to,
            'savedToSent' => $saved_to !== null || (bool) $this->rc->config->get('no_save_sent_messages')]);
    }

    /**
     * siegel-draft: stores the draft Siegel encrypted (to the sender's own certificate) in the Drafts folder,
     * byte for byte, in place of the draft it replaces; never anything that is not S/MIME encrypted.
     */
    public function draft()
    {
        $this->outcome = 'nothingsaved';
        $this->require_request('POST');
        $raw = $this->read_message();
        $message = self::split_message($raw);
        if (!$message) {
            $this->fail(400, 'errornotmessage');
        }
        $this->check_sender($message['fields']);
        if (self::protection($message['fields'], $message['body']) !== 'encrypted') {
            $this->fail(400, 'errordraftnotencrypted');
        }
        $folder = (string) $this->rc->config->get('drafts_mbox');
        if ($folder === '') {
            $this->fail(500, 'errornodrafts');
        }

        $uid = $this->save_draft($folder, $raw, trim($message['fields']['message-id'][0] ?? ''));
        $old = rcube_utils::get_input_string('_draft_saveid', rcube_utils::INPUT_GET);
        if ($uid !== null && preg_match('/^[0-9]+$/', $old) && $old !== $uid) {
            // Only ever a UID of the Drafts folder, as send.php deletes the draft it replaces.
            if (!$this->rc->get_storage()->delete_message($old, $folder)) {
                rcube::raise_error(['code' => 800, 'type' => 'imap', 'file' => __FILE__, 'line' => __LINE__,
                    'message' => "siegel-draft: could not delete the replaced draft $old from $folder"], true, false);
            }
        }
        // As send.php after saving a draft: the compose session knows it, so that sending deletes it.
        $id = rcube_utils::get_input_string('_id', rcube_utils::INPUT_GET);
        if ($uid !== null && preg_match('/^[0-9a-zA-Z]+$/', $id) && isset($_SESSION['compose_data_' . $id]['id'])) {
            $_SESSION['compose_data_' . $id]['param']['draft_uid'] = $uid;
        }
        $this->answer(200, ['ok' => true, 'draftId' => $uid]);
    }

    /**
     * Appends a draft to the Drafts folder (created if missing) with the flags \Draft and \Seen; returns
     * its UID (the server's APPENDUID, else found by Message-ID as send.php does), or null when that is
     * not known. Refuses when the server does not store it.
     */
    private function save_draft($folder, $raw, $message_id)
    {
        $storage = $this->rc->get_storage();
        if (!$storage->folder_exists($folder)) {
            $storage->create_folder($folder, true);
        }
        $saved = $storage->save_message($folder, $raw, '', false, ['SEEN', 'DRAFT']);
        if (!$saved) {
            rcube::raise_error(['code' => 800, 'type' => 'imap', 'file' => __FILE__, 'line' => __LINE__,
                'message' => "siegel-draft: could not save the draft in $folder"], true, false);
            $this->fail(502, 'errorsavingdraft', ['folder' => $folder]);
        }
        if (!is_bool($saved)) {
            return (string) $saved;
        }
        if ($message_id === '') {
            return null;
        }
        $found = $storage->search_once($folder, 'HEADER Message-ID ' . rcube_imap_generic::escape($message_id, true))->max();
        return $found ? (string) $found : null;
    }

    /**
     * The body of a POST of Content-Type message/rfc822, within the size limit, with clean lines; refuses
     * anything else.
     */
    private function read_message()
    {
        $type = strtolower(trim(explode(';', (string) ($_SERVER['CONTENT_TYPE'] ?? ''))[0]));
        if ($type !== 'message/rfc822') {
            $this->fail(415, 'errortype');
        }
        $max = $this->max_size();
        $length = (int) ($_SERVER['CONTENT_LENGTH'] ?? 0);
        if ($length > $max) {
            $this->fail(413, 'errortoolarge', ['size' => $this->rc->show_bytes($max)]);
        }
        $raw = file_get_contents('php://input', false, null, 0, $max + 1);
        if ($raw === false || $raw === '') {
            // PHP drops a body over post_max_size before any plugin sees it.
            $this->fail($length > 0 ? 413 : 400, $length > 0 ? 'errortoolarge' : 'errorempty', ['size' => $this->rc->show_bytes($max)]);
        }
        if (strlen($raw) > $max) {
            $this->fail(413, 'errortoolarge', ['size' => $this->rc->show_bytes($max)]);
        }
        // Only CRLF line ends and no NUL: Net_SMTP turns a bare CR or LF into CRLF after it doubles leading
        // dots, so "\r.\r" would end the DATA early and smuggle what follows into the SMTP session.
        if (!self::clean_lines($raw)) {
            $this->fail(400, 'errorlines');
        }
        return $raw;
    }

    /** The From address of a message whose sender fields pass sender_problem; refuses anything else. */
    private function check_sender(array $fields)
    {
        $own = array_map(function ($identity) { return strtolower($identity['email']); }, $this->rc->user->list_emails());
        $problem = self::sender_problem($fields, $own);
        if ($problem) {
            $this->fail($problem[0], $problem[1], $problem[2]);
        }
        return self::sole_mailbox($fields['from']);
    }

    /**
     * Why a message may not go out (or be stored) as the user's, as [status, label, vars], or null: From is
     * one field with exactly one plain mailbox that is one of `$own` (the user's identities, lower case), and
     * so is Sender if there is one (a mail reader shows "on behalf of" it); no Resent-* field (that would
     * make it someone else's message resent, which is Redirect's business, not Siegel's).
     */
    public static function sender_problem(array $fields, array $own)
    {
        foreach (array_keys($fields) as $name) {
            if (strpos($name, 'resent-') === 0) {
                return [400, 'errorresent', ['field' => implode('-', array_map('ucfirst', explode('-', $name)))]];
            }
        }
        $from = self::sole_mailbox($fields['from'] ?? []);
        if ($from === null) {
            return [400, 'errorfrom', []];
        }
        if (!in_array($from, $own, true)) {
            return [403, 'errornotyours', ['from' => $from]];
        }
        if (isset($fields['sender'])) {
            $sender = self::sole_mailbox($fields['sender']);
            if ($sender === null) {
                return [400, 'errorsender', []];
            }
            if (!in_array($sender, $own, true)) {
                return [403, 'errorsendernotyours', ['sender' => $sender]];
            }
        }
        return null;
    }

    /** The address of a header field that occurs once with exactly one plain mailbox (single_mailbox), else null. */
    public static function sole_mailbox(array $values)
    {
        return count($values) === 1 ? self::single_mailbox($values[0]) : null;
    }

    /**
     * The organisation's rule for siegel-send. A page script can post any bytes here, so this is where the
     * rule holds.
     */
    private function check_rule(array $message)
    {
        $label = self::rule_problem($message['fields'], $message['body'],
            (bool) $this->rc->config->get('siegel_require_signed'), (bool) $this->rc->config->get('siegel_require_encrypted'));
        if ($label) {
            $this->fail(403, $label);
        }
    }

    /**
     * The label of the refusal of a message under the organisation's rule, or null: with `$encrypted` it must
     * be S/MIME encrypted, with `$signed` signed or encrypted (see protection).
     */
    public static function rule_problem(array $fields, $body, $signed, $encrypted)
    {
        if (!$signed && !$encrypted) {
            return null;
        }
        $kind = self::protection($fields, $body);
        if ($encrypted && $kind !== 'encrypted') {
            return 'errorrequireencrypted';
        }
        return $signed && $kind === null ? 'errorrequiresigned' : null;
    }

    /** siegel-raw: the exact stored bytes of one message (IMAP BODY.PEEK[], CRLF line ends). */
    public function raw()
    {
        $this->require_request('GET');
        $uid = rcube_utils::get_input_string('_uid', rcube_utils::INPUT_GET);
        $mbox = rcube_utils::get_input_string('_mbox', rcube_utils::INPUT_GET, true);
        if (!preg_match('/^[0-9]+$/', $uid) || $mbox === '') {
            $this->fail(400, 'errormessageid');
        }
        $storage = $this->rc->get_storage();
        $storage->set_folder($mbox);
        $bytes = $storage->get_raw_body($uid);
        if ($bytes === false || $bytes === null || $bytes === '') {
            $this->fail(404, 'errornomessage');
        }
        header('Content-Type: application/octet-stream');
        header('Content-Disposition: attachment; filename="message.eml"');
        header('X-Content-Type-Options: nosniff');
        header('Cache-Control: private, no-store');
        header('Content-Length: ' . strlen($bytes));
        echo $bytes;
        exit;
    }

    /**
     * siegel-certificates: recipients' certificates from the LDAP address books. The body is small JSON;
     * what the directory holds is public (certificates), but only a signed-in user may ask.
     */
    public function certificates()
    {
        $this->require_request('POST');
        $body = file_get_contents('php://input', false, null, 0, 65537);
        $request = $body === false || strlen($body) > 65536 ? null : json_decode($body, true);
        if (!is_array($request) || !isset($request['emails']) || !is_array($request['emails'])) {
            $this->fail(400, 'errorlookup');
        }
        require_once __DIR__ . '/lib/siegel_directory.php';
        $books = (array) $this->rc->config->get('ldap_public', []);
        $only = $this->rc->config->get('siegel_ldap_addressbooks');
        if (is_array($only)) {
            $books = array_intersect_key($books, array_flip($only));
        }
        $this->answer(200, ['ok' => true, 'results' => siegel_directory::lookup($books, $request['emails'], [
            // For address books that are user_specific (placeholders, binding as the user), as rcube_ldap does.
            'email' => (string) $this->rc->get_user_email(),
            'password' => (string) $this->rc->get_user_password(),
        ])]);
    }

    /**
     * The address of a From value that is exactly one mailbox, lower-cased, else null: no group syntax, no
     * second address, and no display name that holds an address (`"ceo@bank.example" <me@example.com>`
     * passes many readers' eyes as the CEO).
     */
    public static function single_mailbox($value)
    {
        // Structure outside quoted strings and comments: at most one <...>, no group or list separators.
        $bare = preg_replace('/"(?:[^"\\\\]|\\\\.)*"|\((?:[^()\\\\]|\\\\.)*\)/', '', $value);
        if (preg_match('/[,;:]/', $bare) || substr_count($bare, '<') > 1 || substr_count($bare, '>') > 1) {
            return null;
        }
        $list = rcube_mime::decode_address_list($value, null, true, null, false);
        if (count($list) !== 1) {
            return null;
        }
        $entry = array_values($list)[0];
        $address = strtolower(trim($entry['mailto'] ?? ''));
        $name = (string) ($entry['name'] ?? '');
        if ($address === '' || strpos($name, '@') !== false || strpos(rcube_mime::decode_header($value), '@') !== strrpos(rcube_mime::decode_header($value), '@')) {
            return null;
        }
        return $address;
    }

    /**
     * False when Net_SMTP would change the message: it sends a string in chunks of 512,000 bytes, which may
     * start in the middle of a line, and doubles a dot at the start of every chunk as if it began a line.
     * This mirrors its chunking (Net_SMTP 1.10, Net_SMTP::data) over CRLF text.
     */
    public static function survives_net_smtp($data)
    {
        $size = strlen($data);
        for ($offset = 0; $offset + 512000 < $size;) {
            for ($end = $offset + 512000; $end < $size && $data[$end] === "\n"; $end++) {
            }
            if ($end < $size && $data[$end] === '.' && $data[$end - 1] !== "\n") {
                return false;
            }
            $offset = $end;
        }
        return true;
    }

    /**
     * True when every line ends in CRLF (no bare CR, no bare LF), there is no NUL, and no line is longer
     * than RFC 5322's 998 characters (a server may break longer lines, which would break a signature).
     */
    public static function clean_lines($raw)
    {
        return !preg_match('/\r(?!\n)|(?<!\r)\n|\0/', $raw) && !preg_match('/[^\r\n]{999}/', $raw);
    }

    /**
     * Splits an RFC 5322 message into its header fields (lower-cased names, unfolded values) and returns
     * the same bytes without any Bcc field, and the body (what follows the empty line). Null when it does
     * not start with header fields followed by an empty line. Nothing else is changed: a signature over the
     * body stays valid.
     */
    public static function split_message($raw)
    {
        if (!preg_match('/\r?\n\r?\n/', $raw, $m, PREG_OFFSET_CAPTURE)) {
            return null;
        }
        $end = $m[0][1];
        $head = substr($raw, 0, $end);
        $rest = substr($raw, $end);
        if (strpos($head, "\0") !== false) {
            return null;
        }
        $lines = preg_split('/(?<=\n)/', $head . "\n");
        $fields = [];
        $kept = '';
        $current = null;
        $drop = false;
        foreach ($lines as $line) {
            if ($line === '' || $line === "\n") {
                continue;
            }
            if ($line[0] === ' ' || $line[0] === "\t") {
                if ($current === null) {
                    return null; // a continuation before any field
                }
                $fields[$current][count($fields[$current]) - 1] .= ' ' . trim($line);
            }
            else {
                if (!preg_match('/^([!-9;-~]+)[ \t]*:(.*)$/s', $line, $f)) {
                    return null;
                }
                $current = strtolower($f[1]);
                $fields[$current][] = trim($f[2]);
                $drop = $current === 'bcc';
            }
            if (!$drop) {
                $kept .= $line;
            }
        }
        if (!$fields) {
            return null;
        }
        // $kept ends with the line break of its last field; $head did not, so take one back off.
        $kept = preg_replace('/\r?\n$/', '', $kept);
        return ['fields' => $fields, 'without_bcc' => $kept . $rest, 'body' => substr($raw, $end + strlen($m[0][0]))];
    }

    /** Appends the message to the Sent folder (created if missing); returns its name, or null when not kept. */
    private function save_sent($raw)
    {
        if ($this->rc->config->get('no_save_sent_messages')) {
            return null;
        }
        $folder = $this->rc->config->get('sent_mbox');
        if (!$folder) {
            return null;
        }
        $storage = $this->rc->get_storage();
        if (!$storage->folder_exists($folder)) {
            $storage->create_folder($folder, true);
        }
        $stored = $storage->save_message($folder, $raw, '', false, ['SEEN']);
        if (!$stored) {
            // Sent, but not stored: say so rather than pretend.
            rcube::raise_error(['code' => 800, 'type' => 'imap', 'file' => __FILE__, 'line' => __LINE__,
                'message' => "siegel-send: could not save the message in $folder"], true, false);
            return null;
        }
        return $folder;
    }

    /**
     * The compose view the message came from is done: its autosaved draft is deleted and its session data
     * (attachments included) dropped, as after Roundcube's own sending.
     */
    private function forget_compose()
    {
        $id = rcube_utils::get_input_string('_id', rcube_utils::INPUT_GET);
        $compose = $this->compose_session();
        if (!$compose) {
            return;
        }
        $drafts = $this->rc->config->get('drafts_mbox');
        $draft_uids = array_filter([
            rcube_utils::get_input_string('_draft_saveid', rcube_utils::INPUT_GET),
            $compose['param']['draft_uid'] ?? null,
        ], function ($uid) { return preg_match('/^[0-9]+$/', (string) $uid); });
        if ($drafts && $draft_uids) {
            $this->rc->get_storage()->delete_message(array_values(array_unique($draft_uids)), $drafts);
        }
        $this->rc->plugins->exec_hook('attachments_cleanup', ['group' => $id]);
        $this->rc->session->remove('compose_data_' . $id);
    }

    /** The compose session named by the request's _id, or null. */
    private function compose_session()
    {
        $id = rcube_utils::get_input_string('_id', rcube_utils::INPUT_GET);
        if (!preg_match('/^[0-9a-zA-Z]+$/', $id) || !is_array($_SESSION['compose_data_' . $id] ?? null)) {
            return null;
        }
        return $_SESSION['compose_data_' . $id];
    }

    /** The body size limit: siegel_max_message_size, else Roundcube's max_message_size. */
    private function max_size()
    {
        $value = $this->rc->config->get('siegel_max_message_size') ?: $this->rc->config->get('max_message_size');
        $bytes = $value ? parse_bytes($value) : 0;
        return $bytes > 0 ? (int) $bytes : self::DEFAULT_MAX_SIZE;
    }

    /** Refuses anything but METHOD with the session's request token in X-Roundcube-Request. */
    private function require_request($method)
    {
        if (($_SERVER['REQUEST_METHOD'] ?? '') !== $method) {
            header('Allow: ' . $method);
            $this->fail(405, 'errormethod');
        }
        $token = rcube_utils::request_header('X-Roundcube-Request');
        if (!is_string($token) || $token === '' || !hash_equals($this->rc->get_request_token(), $token)) {
            $this->fail(403, 'errortoken');
        }
    }

    /**
     * Answers with an error: its label as `code`, its sentence as `error`. A label may end with `$nothing`,
     * the running action's outcome ("Nothing was sent." / "Nothing was saved."), replaced first so that no
     * value of the request can bring it in.
     */
    private function fail($status, $label, $vars = [])
    {
        $vars = ['nothing' => $this->gettext($this->outcome)] + $vars;
        $this->answer($status, ['ok' => false, 'code' => $label, 'error' => $this->gettext(['name' => $label, 'vars' => $vars])]);
    }

    private function answer($status, $body)
    {
        http_response_code($status);
        header('Content-Type: application/json; charset=utf-8');
        header('Cache-Control: private, no-store');
        header('X-Content-Type-Options: nosniff');
        echo json_encode(['siegel' => 1] + $body, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
        exit;
    }
}
