<?php

/**
 * Certificates of recipients from the LDAP address books Roundcube is configured with (`ldap_public`):
 * for each address, the `userSMIMECertificate` and `userCertificate;binary` values of the entries whose
 * email attribute is that address. `userPKCS12` (a private key) is never asked for.
 *
 * Nothing here judges a certificate: the extension validates every one against the trusted CAs, the
 * address and the dates before it uses it. This only finds them, within limits:
 *  - at most MAX_EMAILS addresses per request, MAX_ENTRIES entries and MAX_CERTIFICATES certificates per
 *    address, certificates of at most MAX_BYTES bytes each (bigger values are skipped);
 *  - each address book gets the time limit TIMEOUT seconds for connecting and for each search.
 * Plain PHP and the ldap extension: no Roundcube class, so that it can be tested on its own (and read).
 */
class siegel_directory
{
    const MAX_EMAILS = 50;
    const MAX_ENTRIES = 10;
    const MAX_CERTIFICATES = 64;
    const MAX_BYTES = 65536;
    const TIMEOUT = 5;

    /** The attributes asked for; the first two are binary DER (or a PKCS#7 of certificates). */
    const ATTRIBUTES = ['usersmimecertificate', 'usercertificate;binary', 'usercertificate'];

    /**
     * Looks up every address of `$emails` in every address book of `$books` (Roundcube `ldap_public`
     * entries). Returns `[address => ['certificates' => [base64 DER, ...]] | ['error' => text]]`: an
     * address for which every address book failed gets the first failure; found certificates win over
     * failures of other address books.
     */
    public static function lookup(array $books, array $emails)
    {
        $emails = array_slice(array_values(array_unique(array_filter(array_map(function ($e) {
            return is_string($e) ? strtolower(trim($e)) : '';
        }, $emails), [self::class, 'plausible_address']))), 0, self::MAX_EMAILS);
        $out = [];
        foreach ($emails as $email) {
            $out[$email] = ['certificates' => []];
        }
        if (!$emails) {
            return $out;
        }
        if (!function_exists('ldap_connect')) {
            foreach ($emails as $email) {
                $out[$email] = ['error' => 'the PHP ldap extension is not installed on the webmail server'];
            }
            return $out;
        }
        $failures = [];
        $asked = 0;
        foreach ($books as $name => $book) {
            if (!is_array($book) || empty($book['hosts']) && empty($book['host'])) {
                continue;
            }
            $asked++;
            try {
                $link = self::connect($book);
                foreach ($emails as $email) {
                    foreach (self::search($link, $book, $email) as $der) {
                        $b64 = base64_encode($der);
                        if (count($out[$email]['certificates']) < self::MAX_CERTIFICATES && !in_array($b64, $out[$email]['certificates'], true)) {
                            $out[$email]['certificates'][] = $b64;
                        }
                    }
                }
                ldap_unbind($link);
            } catch (Exception $e) {
                $failures[] = ($book['name'] ?? $name) . ': ' . $e->getMessage();
            }
        }
        if (!$asked) {
            foreach ($emails as $email) {
                $out[$email] = ['error' => 'the webmail has no LDAP address book'];
            }
        } elseif ($failures) {
            foreach ($emails as $email) {
                if (!$out[$email]['certificates']) {
                    $out[$email] = ['error' => $failures[0]];
                }
            }
        }
        return $out;
    }

    /** An address worth asking about: one @, no spaces or LDAP-special characters needed raw, not too long. */
    public static function plausible_address($email)
    {
        return strlen($email) <= 254 && preg_match('/^[^@\s]+@[^@\s]+$/', $email) === 1;
    }

    /** Connects and binds (anonymously without bind_dn), honouring the address book's settings. */
    private static function connect(array $book)
    {
        $hosts = (array) ($book['hosts'] ?? $book['host']);
        $port = (int) ($book['port'] ?? 389);
        $uris = [];
        foreach ($hosts as $host) {
            $host = (string) $host;
            $uris[] = preg_match('#^ldaps?://#i', $host) ? $host : 'ldap://' . $host . ':' . $port;
        }
        $link = @ldap_connect(implode(' ', $uris));
        if (!$link) {
            throw new Exception('cannot reach ' . implode(', ', $uris));
        }
        ldap_set_option($link, LDAP_OPT_PROTOCOL_VERSION, (int) ($book['ldap_version'] ?? 3));
        ldap_set_option($link, LDAP_OPT_REFERRALS, 0);
        ldap_set_option($link, LDAP_OPT_NETWORK_TIMEOUT, self::TIMEOUT);
        ldap_set_option($link, LDAP_OPT_TIMELIMIT, self::TIMEOUT);
        if (!empty($book['use_tls']) && !@ldap_start_tls($link)) {
            throw new Exception('STARTTLS failed: ' . ldap_error($link));
        }
        $dn = (string) ($book['bind_dn'] ?? '');
        $ok = $dn === '' ? @ldap_bind($link) : @ldap_bind($link, $dn, (string) ($book['bind_pass'] ?? ''));
        if (!$ok) {
            throw new Exception('cannot bind: ' . ldap_error($link));
        }
        return $link;
    }

    /** The certificate values (DER) of the entries for one address. */
    private static function search($link, array $book, $email)
    {
        $fieldmap = (array) ($book['fieldmap'] ?? []);
        $attr = (string) ($fieldmap['email'] ?? 'mail');
        $attr = preg_replace('/:.*$/', '', $attr);
        if (!preg_match('/^[A-Za-z][A-Za-z0-9-]*$/', $attr)) {
            throw new Exception('the email attribute of the address book is not an attribute name');
        }
        $filter = '(' . $attr . '=' . ldap_escape($email, '', LDAP_ESCAPE_FILTER) . ')';
        if (!empty($book['filter'])) {
            $base = (string) $book['filter'];
            $filter = '(&' . ($base[0] === '(' ? $base : '(' . $base . ')') . $filter . ')';
        }
        $scope = $book['scope'] ?? 'sub';
        $fn = $scope === 'base' ? 'ldap_read' : ($scope === 'list' ? 'ldap_list' : 'ldap_search');
        $result = @$fn($link, (string) ($book['base_dn'] ?? ''), $filter, self::ATTRIBUTES, 0, self::MAX_ENTRIES, self::TIMEOUT);
        if ($result === false) {
            $errno = ldap_errno($link);
            // No such object (the base does not exist) finds nothing; anything else is a failure.
            if ($errno === 0x20) {
                return [];
            }
            throw new Exception('search failed: ' . ldap_error($link));
        }
        $found = [];
        for ($entry = ldap_first_entry($link, $result); $entry; $entry = ldap_next_entry($link, $entry)) {
            for ($name = ldap_first_attribute($link, $entry); $name !== false; $name = ldap_next_attribute($link, $entry)) {
                if (!in_array(strtolower($name), self::ATTRIBUTES, true)) {
                    continue;
                }
                $values = @ldap_get_values_len($link, $entry, $name) ?: [];
                unset($values['count']);
                foreach ($values as $value) {
                    if (is_string($value) && $value !== '' && strlen($value) <= self::MAX_BYTES) {
                        $found[] = $value;
                    }
                }
            }
        }
        return $found;
    }
}
