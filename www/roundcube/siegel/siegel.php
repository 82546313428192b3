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
 *    message in the user's Sent folder. Refused unless From is one of the user's identities.
 *  - GET ?_task=mail&_action=plugin.siegel-raw&_uid=U&_mbox=M: the stored bytes of a message.
 *  - POST ?_task=mail&_action=plugin.siegel-certificates (body: JSON `{"emails": [...]}`): the certificates
 *    the LDAP address books (`ldap_public`, or those named by `siegel_ldap_addressbooks`) hold for each
 *    address (lib/siegel_directory.php), for the extension to validate: `{"results": {address:
 *    {"certificates": [base64 DER]} | {"error": "…"}}}`.
 *
 * All require the session's request token in the X-Roundcube-Request header (Roundcube's CSRF token,
 * as its own AJAX requests send it) and answer JSON errors `{"siegel": 1, "ok": false, "error": "…"}`.
 * The page script siegel.js speaks for Roundcube to the extension (the page contract of www/API.md).
 */
class siegel extends rcube_plugin
{
    public $task = 'mail';

    /** The largest message siegel-send accepts when neither siegel_max_message_size nor max_message_size is set. */
    const DEFAULT_MAX_SIZE = 52428800;

    private $rc;

    public function init()
    {
        $this->rc = rcmail::get_instance();
        $this->load_config();
        $this->register_action('plugin.siegel-send', [$this, 'send']);
        $this->register_action('plugin.siegel-raw', [$this, 'raw']);
        $this->register_action('plugin.siegel-certificates', [$this, 'certificates']);
        $this->add_hook('message_load', [$this, 'message_load']);
        $this->add_hook('render_page', [$this, 'render_page']);

        $this->add_texts('localization/', ['errorsession']);
        if ($this->rc->output instanceof rcmail_output_html && !preg_match('/^plugin\.siegel-/', (string) $this->rc->action)) {
            $this->include_script('siegel.js');
            $this->rc->output->set_env('siegel_api', 1);
            $this->rc->output->set_env('siegel_max_size', $this->max_size());
        }
    }

    /** Marks every page, so that the extension's Roundcube adapter runs only where this plugin answers. */
    public function render_page($args)
    {
        $this->rc->output->add_header(html::tag('meta', ['name' => 'webmail-api', 'content' => 'roundcube-siegel-1']));
        return $args;
    }

    /**
     * Tells the page whether the message being shown is S/MIME, from its top-level Content-Type only (as
     * siegel-webmail's `smime` hint): a hint for the extension, never a verdict.
     */
    public function message_load($args)
    {
        $structure = $args['object']->headers->structure ?? null;
        if ($this->rc->output instanceof rcmail_output_html && $structure) {
            $this->rc->output->set_env('siegel_smime', self::smime_kind($structure->mimetype ?? '', (array) ($structure->ctype_parameters ?? [])));
        }
        return $args;
    }

    /**
     * "signed", "encrypted" or null, as www/API.md defines `smime`, from the top-level MIME type and its
     * parameters. A multipart/signed of another protocol (PGP/MIME) is not S/MIME.
     */
    public static function smime_kind($mimetype, array $params)
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
            return $kind === 'certs-only' ? null : 'encrypted';
        }
        return null;
    }

    /** siegel-send: delivers the request body as it is. */
    public function send()
    {
        $this->require_request('POST');
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
        $message = self::split_message($raw);
        if (!$message) {
            $this->fail(400, 'errornotmessage');
        }

        // From: one field with exactly one plain mailbox, one of the signed-in user's identities.
        $from_fields = $message['fields']['from'] ?? [];
        $from = count($from_fields) === 1 ? self::single_mailbox($from_fields[0]) : null;
        if ($from === null) {
            $this->fail(400, 'errorfrom');
        }
        $own = array_map(function ($identity) { return strtolower($identity['email']); }, $this->rc->user->list_emails());
        if (!in_array($from, $own, true)) {
            $this->fail(403, 'errornotyours', ['from' => $from]);
        }

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
     * the same bytes without any Bcc field. Null when it does not start with header fields followed by an
     * empty line. Nothing else is changed: a signature over the body stays valid.
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
        return ['fields' => $fields, 'without_bcc' => $kept . $rest];
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
        if (!preg_match('/^[0-9a-zA-Z]+$/', $id)) {
            return;
        }
        $compose = $_SESSION['compose_data_' . $id] ?? null;
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

    private function fail($status, $label, $vars = [])
    {
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
