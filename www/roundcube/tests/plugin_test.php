<?php
// Unit tests of the Siegel plugin's pure functions (the message splitter, the From and Sender checks, the
// line and chunk checks, the S/MIME hint, the organisation's rule, the compose view's original message,
// the LDAP placeholders) on Roundcube's framework classes, without a running Roundcube:
// `php www/roundcube/tests/plugin_test.php [ROUNDCUBE_DIR]` (default /usr/share/roundcube, Debian's)
// prints "N passed, M failed" and exits non-zero on a failure. The plugin's actions are tested against a
// real Roundcube in tests/e2e/roundcube.test.mjs.

$roundcube = rtrim($argv[1] ?? '/usr/share/roundcube', '/') . '/';
define('RCUBE_INSTALL_PATH', $roundcube);
define('RCUBE_CONFIG_DIR', __DIR__ . '/config/');
require $roundcube . 'program/lib/Roundcube/bootstrap.php';
require __DIR__ . '/../siegel/siegel.php';

$passed = 0;
$failed = 0;
function check($name, $ok)
{
    global $passed, $failed;
    if ($ok) {
        $passed++;
    } else {
        $failed++;
        fwrite(STDERR, "FAILED: $name\n");
    }
}

// split_message: fields unfolded and lower-cased, Bcc removed (folded lines too), the rest byte for byte.
$m = "From: Alice <alice@example.com>\r\nTo: bob@example.com,\r\n carol@example.com\r\nBcc: dave@example.com,\r\n\terin@example.com\r\nSubject: Hi\r\n\r\nBody\r\nBcc: not a header\r\n";
$r = siegel::split_message($m);
check('fields', $r['fields']['to'] === ['bob@example.com, carol@example.com'] && $r['fields']['bcc'] === ['dave@example.com, erin@example.com']);
check('bcc removed, rest unchanged', $r['without_bcc'] === "From: Alice <alice@example.com>\r\nTo: bob@example.com,\r\n carol@example.com\r\nSubject: Hi\r\n\r\nBody\r\nBcc: not a header\r\n");
$last = siegel::split_message("From: a@example.com\r\nBcc: b@example.com\r\n\r\nx");
check('bcc as the last field', $last['without_bcc'] === "From: a@example.com\r\n\r\nx");
$two = siegel::split_message("Bcc: a@example.com\r\nFrom: a@example.com\r\nBCC: b@example.com\r\n\r\nx");
check('every bcc field, any case', $two['without_bcc'] === "From: a@example.com\r\n\r\nx" && count($two['fields']['bcc']) === 2);
check('no header block', siegel::split_message("just text") === null);
check('no empty line', siegel::split_message("From: a@example.com\r\n") === null);
check('continuation first', siegel::split_message(" From: a@example.com\r\n\r\nx") === null);
check('not a field', siegel::split_message("From a@example.com\r\n\r\nx") === null);
$spaced = siegel::split_message("From: a@example.com\r\nBcc : b@example.com\r\n\r\nx");
check('obsolete space before the colon: still a Bcc, still removed', $spaced['fields']['bcc'] === ['b@example.com'] && $spaced['without_bcc'] === "From: a@example.com\r\n\r\nx");
check('NUL in the header', siegel::split_message("From: a@example.com\0\r\n\r\nx") === null);
check('the body after the empty line', $r['body'] === "Body\r\nBcc: not a header\r\n" && $last['body'] === 'x');

// clean_lines: CRLF only, no NUL, no line over 998.
check('crlf', siegel::clean_lines("a\r\nb\r\n"));
check('bare lf', !siegel::clean_lines("a\r\nb\n.\nc\r\n"));
check('bare cr (smuggling)', !siegel::clean_lines("a\r\n\r.\rMAIL FROM:<x@y>\r\n"));
check('nul', !siegel::clean_lines("a\0b\r\n"));
check('998 characters', siegel::clean_lines(str_repeat('a', 998) . "\r\n"));
check('999 characters', !siegel::clean_lines(str_repeat('a', 999) . "\r\n"));

// single_mailbox: one plain mailbox, or nothing.
foreach ([
    'Alice <alice@example.com>' => 'alice@example.com',
    'ALICE@example.com' => 'alice@example.com',
    '"Doe, Alice" <alice@example.com>' => 'alice@example.com',
    'Alice (work) <alice@example.com>' => 'alice@example.com',
    '=?utf-8?q?Gr=C3=BC=C3=9Fe?= <alice@example.com>' => 'alice@example.com',
    'ceo@bank.example <alice@example.com>' => null,
    '"ceo@bank.example" <alice@example.com>' => null,
    '=?utf-8?q?ceo=40bank.example?= <alice@example.com>' => null,
    '<ceo@bank.example> <alice@example.com>' => null,
    'alice@example.com, bob@example.com' => null,
    'friends: alice@example.com;' => null,
    '' => null,
] as $value => $want) {
    check("single_mailbox($value)", siegel::single_mailbox((string) $value) === $want);
}

// survives_net_smtp: a dot where Net_SMTP starts a chunk mid-line would be doubled.
check('small', siegel::survives_net_smtp("a.b\r\n"));
check('dot at a chunk start mid-line', !siegel::survives_net_smtp(str_repeat('a', 512000) . ".b\r\n"));
check('dot at a chunk start that is a line start', siegel::survives_net_smtp(str_repeat('a', 511998) . "\r\n.b\r\n"));
check('no dot at the chunk start', siegel::survives_net_smtp(str_repeat('a', 512000) . "b.\r\n"));
check('a chunk start moved past line ends to a line start', siegel::survives_net_smtp(str_repeat('a', 511999) . "\r\n\n.x"));
check('a dot at the second chunk start', !siegel::survives_net_smtp(str_repeat('a', 1024000) . ".b\r\n"));

// smime_kind: the top-level type as www/API.md's `smime` hint.
check('signed', siegel::smime_kind('multipart/signed', ['protocol' => 'application/pkcs7-signature']) === 'signed');
check('x-signed', siegel::smime_kind('multipart/signed', ['Protocol' => 'application/x-pkcs7-signature']) === 'signed');
check('pgp is not s/mime', siegel::smime_kind('multipart/signed', ['protocol' => 'application/pgp-signature']) === null);
check('enveloped', siegel::smime_kind('application/pkcs7-mime', ['smime-type' => 'enveloped-data']) === 'encrypted');
check('no smime-type', siegel::smime_kind('application/x-pkcs7-mime', []) === 'encrypted');
check('opaque signed', siegel::smime_kind('application/pkcs7-mime', ['smime-type' => 'signed-data']) === 'signed');
check('certs-only', siegel::smime_kind('application/pkcs7-mime', ['smime-type' => 'certs-only']) === null);
check('plain', siegel::smime_kind('text/plain', []) === null);
check('strict: enveloped', siegel::smime_kind('application/pkcs7-mime', ['smime-type' => 'enveloped-data'], true) === 'encrypted');
check('strict: authEnveloped', siegel::smime_kind('application/x-pkcs7-mime', ['smime-type' => 'authEnveloped-data'], true) === 'encrypted');
check('strict: no smime-type is not encrypted', siegel::smime_kind('application/pkcs7-mime', [], true) === null);
check('strict: compressed-data is not encrypted', siegel::smime_kind('application/pkcs7-mime', ['smime-type' => 'compressed-data'], true) === null);
check('strict: signed-data', siegel::smime_kind('application/pkcs7-mime', ['smime-type' => 'signed-data'], true) === 'signed');

// content_type: the type and its parameters, quoted or not, comments gone.
check('content_type', siegel::content_type('Application/PKCS7-MIME; Smime-Type="enveloped-data"; name=smime.p7m (x)')
    === ['application/pkcs7-mime', ['smime-type' => 'enveloped-data', 'name' => 'smime.p7m']]);
check('content_type: a quoted ; stays in its value', siegel::content_type('multipart/signed; boundary="a;b"; protocol="application/pkcs7-signature"')[1]
    === ['boundary' => 'a;b', 'protocol' => 'application/pkcs7-signature']);

// cms_type: the ContentInfo's content type (what openssl cms writes: definite and indefinite lengths).
$enveloped_b64 = "MIIB1wYJKoZIhvcNAQcDoIIByDCCAcQCAQAxggFfMIIBWwIBADBDMDcxFDASBgNV\r\nBAoMC1NpZWdlbCBUZXN0MR8wHQYDVQQDDBZTaWVnZWwgVGVzdCBJc3N1aW5nIENB\r\n";
$auth_b64 = "MIIB4AYLKoZIhvcNAQkQARegggHPMIIBywIBADGCAV8wggFbAgEAMEMwNzEUMBIG\r\nA1UECgwLU2llZ2VsIFRlc3QxHzAdBgNVBAMMFlNpZWdlbCBUZXN0IElzc3Vpbmcg\r\n";
$signed_b64 = "MIIGUQYJKoZIhvcNAQcCoIIGQjCCBj4CAQExDTALBglghkgBZQMEAgEwMwYJKoZI\r\n";
$streamed_b64 = base64_encode("\x30\x80\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x03\xa0\x80\x30\x80\x02\x01\x00") . "\r\n";
check('cms: enveloped-data', siegel::cms_type($enveloped_b64, 'base64') === 'enveloped-data');
check('cms: authEnveloped-data', siegel::cms_type($auth_b64, 'Base64') === 'authenveloped-data');
check('cms: signed-data', siegel::cms_type($signed_b64, 'base64') === 'signed-data');
check('cms: indefinite length (streamed)', siegel::cms_type($streamed_b64, 'base64') === 'enveloped-data');
check('cms: short base64', siegel::cms_type(base64_encode("\x30\x0d\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x03"), 'base64') === 'enveloped-data');
check('cms: plain text is not CMS', siegel::cms_type(base64_encode("Hello, this is not encrypted at all.\r\n"), 'base64') === null);
check('cms: not base64', siegel::cms_type("Hello!\r\n", 'base64') === null);
check('cms: raw DER without base64', siegel::cms_type(base64_decode($enveloped_b64), '') === 'enveloped-data');
check('cms: base64 text taken as raw', siegel::cms_type($enveloped_b64, '7bit') === null);
check('cms: data is no S/MIME type', siegel::cms_type(base64_encode("\x30\x0d\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x01"), 'base64') === null);

// protection and rule_problem: the organisation's rule on what the top level shows.
function parsed($head, $body)
{
    $m = siegel::split_message($head . "\r\n" . $body);
    return [$m['fields'], $m['body']];
}
$from = "From: Alice <alice@example.com>\r\nTo: bob@example.com\r\nSubject: x\r\n";
$cases = [
    'enveloped' => [$from . "Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n", $enveloped_b64],
    'authEnveloped' => [$from . "Content-Type: application/x-pkcs7-mime;\r\n smime-type=\"authEnveloped-data\"\r\nContent-Transfer-Encoding: base64\r\n", $auth_b64],
    'opaque signed' => [$from . "Content-Type: application/pkcs7-mime; smime-type=signed-data\r\nContent-Transfer-Encoding: base64\r\n", $signed_b64],
    'clear-signed' => [$from . "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=b\r\n", "--b\r\n\r\nx\r\n--b--\r\n"],
    'x-clear-signed' => [$from . "Content-Type: multipart/signed; protocol=application/x-pkcs7-signature; boundary=b\r\n", "--b--\r\n"],
    'plain' => [$from . "Content-Type: text/plain\r\n", "Hello\r\n"],
    'no content type' => [$from, "Hello\r\n"],
    'pgp signed' => [$from . "Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; boundary=b\r\n", "--b--\r\n"],
    'plain text labelled enveloped' => [$from . "Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\nContent-Transfer-Encoding: base64\r\n", base64_encode("secret plain text, not CMS at all")],
    'signed-data labelled enveloped' => [$from . "Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\nContent-Transfer-Encoding: base64\r\n", $signed_b64],
    'enveloped-data labelled signed' => [$from . "Content-Type: application/pkcs7-mime; smime-type=signed-data\r\nContent-Transfer-Encoding: base64\r\n", $enveloped_b64],
    'no smime-type' => [$from . "Content-Type: application/pkcs7-mime\r\nContent-Transfer-Encoding: base64\r\n", $enveloped_b64],
    'two content types' => [$from . "Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n", $enveloped_b64],
    'two encodings' => [$from . "Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\nContent-Transfer-Encoding: base64\r\nContent-Transfer-Encoding: 7bit\r\n", $enveloped_b64],
    'certs-only' => [$from . "Content-Type: application/pkcs7-mime; smime-type=certs-only\r\nContent-Transfer-Encoding: base64\r\n", $signed_b64],
];
$want = [
    'enveloped' => ['encrypted', null, null, null], 'authEnveloped' => ['encrypted', null, null, null],
    'opaque signed' => ['signed', null, 'errorrequireencrypted', 'errorrequireencrypted'],
    'clear-signed' => ['signed', null, 'errorrequireencrypted', 'errorrequireencrypted'],
    'x-clear-signed' => ['signed', null, 'errorrequireencrypted', 'errorrequireencrypted'],
];
foreach ($cases as $name => list($head, $body)) {
    list($fields, $b) = parsed($head, $body);
    // [protection, refusal with require_signed, with require_encrypted, with both]
    $expected = $want[$name] ?? [null, 'errorrequiresigned', 'errorrequireencrypted', 'errorrequireencrypted'];
    check("protection: $name", siegel::protection($fields, $b) === $expected[0]);
    check("rule, signed: $name", siegel::rule_problem($fields, $b, true, false) === $expected[1]);
    check("rule, encrypted: $name", siegel::rule_problem($fields, $b, false, true) === $expected[2]);
    check("rule, both: $name", siegel::rule_problem($fields, $b, true, true) === $expected[3]);
    check("no rule: $name", siegel::rule_problem($fields, $b, false, false) === null);
}

// sender_problem: From and Sender must be one of the user's identities; no Resent-* field.
$own = ['alice@example.com', 'alice.work@example.com'];
$sender_cases = [
    "From: Alice <alice@example.com>\r\n" => null,
    "From: alice@example.com\r\nSender: Alice Work <alice.work@example.com>\r\n" => null,
    "From: bob@example.com\r\n" => [403, 'errornotyours', ['from' => 'bob@example.com']],
    "From: alice@example.com\r\nFrom: alice@example.com\r\n" => [400, 'errorfrom', []],
    "To: bob@example.com\r\n" => [400, 'errorfrom', []],
    "From: alice@example.com\r\nSender: bob@example.com\r\n" => [403, 'errorsendernotyours', ['sender' => 'bob@example.com']],
    "From: alice@example.com\r\nSender: alice@example.com\r\nSender: alice@example.com\r\n" => [400, 'errorsender', []],
    "From: alice@example.com\r\nSender: alice@example.com, bob@example.com\r\n" => [400, 'errorsender', []],
    "From: alice@example.com\r\nSender: \"bob@example.com\" <alice@example.com>\r\n" => [400, 'errorsender', []],
    "From: alice@example.com\r\nSender:\r\n" => [400, 'errorsender', []],
    "From: alice@example.com\r\nResent-From: alice@example.com\r\n" => [400, 'errorresent', ['field' => 'Resent-From']],
    "From: alice@example.com\r\nRESENT-TO: eve@example.com\r\n" => [400, 'errorresent', ['field' => 'Resent-To']],
    "Resent-Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nFrom: alice@example.com\r\n" => [400, 'errorresent', ['field' => 'Resent-Date']],
    "From: alice@example.com\r\nResent-Sender: alice@example.com\r\n" => [400, 'errorresent', ['field' => 'Resent-Sender']],
];
foreach ($sender_cases as $head => $expected) {
    list($fields) = parsed($head, "x");
    check('sender_problem: ' . trim(str_replace("\r\n", ' | ', $head)), siegel::sender_problem($fields, $own) === $expected);
}

// original_of / message_ref: the message a compose view replies to or forwards.
check('reply', siegel::original_of(['reply_uid' => '42', 'mailbox' => 'INBOX', 'param' => ['all' => 'all']]) === ['folder' => 'INBOX', 'id' => '42', 'mode' => 'reply']);
check('forward', siegel::original_of(['forward_uid' => '7', 'mailbox' => 'Archive/2024']) === ['folder' => 'Archive/2024', 'id' => '7', 'mode' => 'forward']);
check('reply in a search over several folders', siegel::original_of(['reply_uid' => '5-Lists-dev', 'mailbox' => 'INBOX']) === ['folder' => 'Lists-dev', 'id' => '5', 'mode' => 'reply']);
check('forward of several messages: none', siegel::original_of(['forward_uid' => '1,2', 'mailbox' => 'INBOX']) === null);
check('forward as attachment (a list of one)', siegel::original_of(['forward_uid' => ['7'], 'mailbox' => 'INBOX']) === ['folder' => 'INBOX', 'id' => '7', 'mode' => 'forward']);
check('forward of a search result (an array): none', siegel::original_of(['forward_uid' => ['1', '2'], 'mailbox' => 'INBOX']) === null);
check('reply to an attached message (UID.PART): none', siegel::original_of(['reply_uid' => '3.2', 'mailbox' => 'INBOX']) === null);
check('a new message: none', siegel::original_of(['mode' => null, 'mailbox' => 'INBOX']) === null);
check('no folder: none', siegel::message_ref('9', '') === null);
check('a UID as a number', siegel::message_ref(9, 'INBOX') === ['folder' => 'INBOX', 'id' => '9']);

// siegel_directory: which addresses are asked about, and what a missing or unreachable directory answers
// (a real slapd answers in tests/e2e/roundcube.test.mjs).
require_once __DIR__ . '/../siegel/lib/siegel_directory.php';
check('address', siegel_directory::plausible_address('bob@example.com'));
check('no @', !siegel_directory::plausible_address('bob'));
check('two @', !siegel_directory::plausible_address('a@b@example.com'));
check('spaces', !siegel_directory::plausible_address('bob @example.com'));
check('too long', !siegel_directory::plausible_address(str_repeat('a', 250) . '@example.com'));
$r = siegel_directory::lookup([], ['Bob@Example.com', 'bob@example.com', 'not an address', 42]);
check('no address book: one error per distinct address', $r === ['bob@example.com' => ['error' => 'the webmail has no LDAP address book']]);
$many = array_map(function ($i) { return "u$i@example.com"; }, range(1, 80));
check('at most MAX_EMAILS addresses', count(siegel_directory::lookup([], $many)) === siegel_directory::MAX_EMAILS);
check('fits: a new certificate', siegel_directory::fits(['QQ=='], 1, 1, 'Qg==', 1));
check('fits: not a repeat', !siegel_directory::fits(['QQ=='], 1, 1, 'QQ==', 1));
check('fits: MAX_CERTIFICATES per address', !siegel_directory::fits(array_fill(0, siegel_directory::MAX_CERTIFICATES, 'x'), 1, 1, 'Qg==', 1));
check('fits: MAX_ADDRESS_BYTES per address', !siegel_directory::fits([], siegel_directory::MAX_ADDRESS_BYTES - 10, 0, 'Qg==', 11));
check('fits: MAX_TOTAL_BYTES per answer', !siegel_directory::fits([], 0, siegel_directory::MAX_TOTAL_BYTES - 10, 'Qg==', 11));
check('fits: up to the limit', siegel_directory::fits([], siegel_directory::MAX_ADDRESS_BYTES - 10, 0, 'Qg==', 10));
if (function_exists('ldap_connect')) {
    // Port 9 on 127.0.0.1 (discard): nothing listens there in a test run.
    $down = ['down' => ['name' => 'Down', 'hosts' => ['127.0.0.1'], 'port' => 9, 'base_dn' => 'dc=example,dc=com']];
    $r = siegel_directory::lookup($down, ['bob@example.com']);
    check('unreachable directory: the reason', isset($r['bob@example.com']['error']) && strpos($r['bob@example.com']['error'], 'Down: ') === 0);
    // user_specific address books: Roundcube's placeholders for the signed-in user, escaped for a DN.
    $book = ['user_specific' => true, 'base_dn' => 'ou=%u,%dc', 'bind_dn' => 'mail=%fu,ou=people,%dc', 'filter' => '(o=%d)'];
    $b = siegel_directory::for_user($book, ['email' => 'a+b@mail.example.com', 'password' => 'pw']);
    check('user_specific: %u and %dc', $b['base_dn'] === 'ou=a\\2bb,dc=mail,dc=example,dc=com');
    check('user_specific: %fu', $b['bind_dn'] === 'mail=a\\2bb@mail.example.com,ou=people,dc=mail,dc=example,dc=com');
    check('user_specific: %d in the filter', $b['filter'] === '(o=mail.example.com)');
    check('user_specific: the session password binds', $b['bind_pass'] === 'pw');
    // Each value escaped for where it goes: a filter escapes *()\\ and NUL, a DN ,+"\\<>;= and NUL.
    $book = ['user_specific' => true, 'base_dn' => 'ou=%u,%dc', 'bind_dn' => 'uid=%u,ou=people,%dc', 'filter' => '(|(uid=%u)(mail=%fu)(o=%d)(memberOf=cn=staff,%dc))'];
    $b = siegel_directory::for_user($book, ['email' => 'a*)(uid=*\\x@example.com']);
    check('filter: *()\\ of %u escaped', strpos($b['filter'], '(uid=a\\2a\\29\\28uid=\\2a\\5cx)') !== false);
    check('filter: %fu escaped', strpos($b['filter'], '(mail=a\\2a\\29\\28uid=\\2a\\5cx@example.com)') !== false);
    check('filter: %dc is a DN, escaped as a filter value', strpos($b['filter'], '(memberOf=cn=staff,dc=example,dc=com)') !== false);
    check('filter: nothing but one filter', substr_count($b['filter'], '(') === 5 && substr_count($b['filter'], ')') === 5);
    check('dn: *() need no escaping in a DN, \\ does', $b['base_dn'] === 'ou=a*)(uid\\3d*\\5cx,dc=example,dc=com');
    $b = siegel_directory::for_user($book, ['email' => 'a+b,c=d;e@example.com']);
    check('dn: +,=; of %u escaped', $b['bind_dn'] === 'uid=a\\2bb\\2cc\\3dd\\3be,ou=people,dc=example,dc=com');
    check('filter: +,=; need no escaping in a filter', strpos($b['filter'], '(uid=a+b,c=d;e)') !== false);
    $b = siegel_directory::for_user(['user_specific' => true, 'base_dn' => 'ou=%u,%dc', 'filter' => '(memberOf=%dc)'], ['email' => ' #x@ex,ample.com']);
    check('dn: a leading space and # escaped', $b['base_dn'] === 'ou=\\20\\23x,dc=ex\\2cample,dc=com');
    check('filter: %dc with an escaped label, escaped again', $b['filter'] === '(memberOf=dc=ex\\5c2cample,dc=com)');
    check('dn: NUL as \\00', siegel_directory::dn_value("a\0b") === 'a\\00b' && siegel_directory::filter_value("a\0b") === 'a\\00b');
    check('not user_specific: as configured', siegel_directory::for_user(['base_dn' => 'ou=%u'], ['email' => 'a@b.c']) === ['base_dn' => 'ou=%u']);
    $r = siegel_directory::lookup(['p' => ['name' => 'Personal', 'hosts' => ['127.0.0.1'], 'port' => 9, 'user_specific' => true, 'bind_dn' => '%dn']], ['bob@example.com'], ['email' => 'alice@example.com']);
    check('user_specific with %dn: not supported, said so', strpos($r['bob@example.com']['error'] ?? '', "Personal: its bind_dn needs %dn") === 0);
    check('a smaller sizelimit and timelimit apply', siegel_directory::size_limit(['sizelimit' => 3]) === 3 && siegel_directory::time_limit(['timelimit' => 2]) === 2);
    check('a bigger or no sizelimit: our own', siegel_directory::size_limit(['sizelimit' => 500]) === siegel_directory::MAX_ENTRIES && siegel_directory::time_limit([]) === siegel_directory::TIMEOUT);
} else {
    check('the php ldap extension is installed (php-ldap)', false);
}

echo "$passed passed, $failed failed\n";
exit($failed ? 1 : 0);
