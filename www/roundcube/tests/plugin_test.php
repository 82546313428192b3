<?php
// Unit tests of the Siegel plugin's pure functions (the message splitter, the From check, the line and
// chunk checks, the S/MIME hint) on Roundcube's framework classes, without a running Roundcube:
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
