<?php

/**
 * Certificates of recipients from the LDAP address books Roundcube is configured with (`ldap_public`):
 * for each address, the `userSMIMECertificate` and `userCertificate;binary` values of the entries whose
 * email attribute is that address. `userPKCS12` (a private key) is never asked for.
 *
 * Nothing here judges a certificate: the extension validates every one against the trusted CAs, the
 * address and the dates before it uses it. This only finds them, within limits:
 *  - at most MAX_EMAILS addresses per request, MAX_ENTRIES entries and MAX_CERTIFICATES certificates per
 *    address, certificates of at most MAX_BYTES bytes each (bigger values are skipped), at most
 *    MAX_ADDRESS_BYTES bytes of certificates per address and MAX_TOTAL_BYTES per request (what does not
 *    fit is left out: the extension would refuse a bigger answer anyway);
 *  - each address book gets the time limit TIMEOUT seconds for connecting and for each search; an address
 *    book's own `sizelimit` and `timelimit` apply when they are smaller.
 * Address books with `user_specific` get Roundcube's placeholders expanded in `base_dn`, `bind_dn` and
 * `filter` (%fu, %u, %d, %dc, from the signed-in user's address, escaped for a DN or for a filter) and bind
 * with the session password when they name none; one that needs `%dn` (a DN found by a search first) is
 * reported as not supported.
 * Plain PHP and the ldap extension: no Roundcube class, so that it can be tested on its own (and read).
 */
class siegel_directory
{
    const MAX_EMAILS = 50;
    const MAX_ENTRIES = 10;
    const MAX_CERTIFICATES = 64;
    const MAX_BYTES = 65536;
    const MAX_ADDRESS_BYTES = 786432;
    const MAX_TOTAL_BYTES = 8388608;
    const TIMEOUT = 5;

    /** The attributes asked for; the first two are binary DER (or a PKCS#7 of certificates). */
    const ATTRIBUTES = ['usersmimecertificate', 'usercertificate;binary', 'usercertificate'];

    /**
     * Looks up every address of `$emails` in every address book of `$books` (Roundcube `ldap_public`
     * entries). Returns `[address => ['certificates' => [base64 DER, ...]] | ['error' => text]]`: an
     * address for which every address book failed gets the first failure; found certificates win over
     * failures of other address books. `$user`: the signed-in user's address and session password
     * (`['email' => ..., 'password' => ...]`), for address books that are `user_specific`.
     */
    public static function lookup(array $books, array $emails, array $user = [])
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
        $bytes = array_fill_keys($emails, 0);
        $total = 0;
        foreach ($books as $name => $book) {
            if (!is_array($book) || empty($book['hosts']) && empty($book['host'])) {
                continue;
            }
            $asked++;
            $link = null;
            try {
                $book = self::for_user($book, $user);
                $link = self::connect($book);
                foreach ($emails as $email) {
                    foreach (self::search($link, $book, $email) as $der) {
                        $b64 = base64_encode($der);
                        $size = strlen($der);
                        if (!self::fits($out[$email]['certificates'], $bytes[$email], $total, $b64, $size)) {
                            continue;
                        }
                        $out[$email]['certificates'][] = $b64;
                        $bytes[$email] += $size;
                        $total += $size;
                    }
                }
            } catch (Exception $e) {
                $failures[] = ($book['name'] ?? $name) . ': ' . $e->getMessage();
            } finally {
                if ($link) {
                    @ldap_unbind($link);
                }
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

    /**
     * Whether one more certificate (`$b64`, `$size` bytes of DER) goes into an address's answer that holds
     * `$kept` (`$bytes` bytes) with `$total` bytes in the whole answer: not a repeat, and within the limits.
     */
    public static function fits(array $kept, $bytes, $total, $b64, $size)
    {
        return count($kept) < self::MAX_CERTIFICATES
            && $bytes + $size <= self::MAX_ADDRESS_BYTES
            && $total + $size <= self::MAX_TOTAL_BYTES
            && !in_array($b64, $kept, true);
    }

    /** An address worth asking about: one @, no spaces or LDAP-special characters needed raw, not too long. */
    public static function plausible_address($email)
    {
        return strlen($email) <= 254 && preg_match('/^[^@\s]+@[^@\s]+$/', $email) === 1;
    }

    /**
     * A `user_specific` address book with Roundcube's placeholders expanded for the signed-in user (as
     * rcube_ldap does), each value escaped for where it goes: in `base_dn` and `bind_dn` as an attribute
     * value of a DN (RFC 4514: `,+"\<>;=`, a leading `#` or space, NUL), in `filter` as an assertion value of
     * a filter (RFC 4515: `*()\` and NUL), so that an address such as `a*)(uid=*@example.com` matches
     * nothing but itself. %dc is a DN of its own (`dc=mail,dc=example,dc=com`, each label escaped for a
     * DN); in a filter that whole DN is the assertion value (`(memberOf=cn=staff,%dc)`), so it is escaped
     * again for the filter. Other address books as they are.
     */
    public static function for_user(array $book, array $user)
    {
        if (empty($book['user_specific'])) {
            return $book;
        }
        foreach (['base_dn', 'bind_dn', 'filter'] as $key) {
            if (strpos((string) ($book[$key] ?? ''), '%dn') !== false) {
                throw new Exception("its $key needs %dn, which Siegel's certificate lookup does not support");
            }
        }
        $fu = (string) ($user['email'] ?? '');
        if ($fu === '' || strpos($fu, '@') === false) {
            throw new Exception('it is user-specific and the signed-in user has no address');
        }
        // The domain is what follows the last @ (a quoted local part may hold one).
        $at = strrpos($fu, '@');
        $values = ['%fu' => $fu, '%u' => substr($fu, 0, $at), '%d' => substr($fu, $at + 1)];
        $dc = implode(',', array_map(function ($label) {
            return 'dc=' . self::dn_value($label);
        }, explode('.', $values['%d'])));

        $in_dn = array_map([self::class, 'dn_value'], $values) + ['%dc' => $dc];
        $in_filter = array_map([self::class, 'filter_value'], $values) + ['%dc' => self::filter_value($dc)];
        foreach (['base_dn' => $in_dn, 'bind_dn' => $in_dn, 'filter' => $in_filter] as $key => $replaces) {
            if (isset($book[$key])) {
                // strtr tries the longest placeholder first: %dc before %d.
                $book[$key] = strtr((string) $book[$key], $replaces);
            }
        }
        if (empty($book['bind_pass']) && isset($user['password'])) {
            $book['bind_pass'] = (string) $user['password'];
        }
        return $book;
    }

    /** A string as an attribute value in a DN (RFC 4514); ldap_escape leaves NUL as it is, RFC 4514 wants \00. */
    public static function dn_value($value)
    {
        return str_replace("\0", '\\00', ldap_escape((string) $value, '', LDAP_ESCAPE_DN));
    }

    /** A string as an assertion value in a search filter (RFC 4515): `*`, `(`, `)`, `\` and NUL escaped. */
    public static function filter_value($value)
    {
        return ldap_escape((string) $value, '', LDAP_ESCAPE_FILTER);
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
        ldap_set_option($link, LDAP_OPT_TIMELIMIT, self::time_limit($book));
        try {
            if (!empty($book['use_tls']) && !@ldap_start_tls($link)) {
                throw new Exception('STARTTLS failed: ' . ldap_error($link));
            }
            $dn = (string) ($book['bind_dn'] ?? '');
            $ok = $dn === '' ? @ldap_bind($link) : @ldap_bind($link, $dn, (string) ($book['bind_pass'] ?? ''));
            if (!$ok) {
                throw new Exception('cannot bind: ' . ldap_error($link));
            }
        } catch (Exception $e) {
            @ldap_unbind($link);
            throw $e;
        }
        return $link;
    }

    /** Seconds a search may take: TIMEOUT, or the address book's `timelimit` when smaller. */
    public static function time_limit(array $book)
    {
        $own = (int) ($book['timelimit'] ?? 0);
        return $own > 0 ? min($own, self::TIMEOUT) : self::TIMEOUT;
    }

    /** Entries a search may return: MAX_ENTRIES, or the address book's `sizelimit` when smaller. */
    public static function size_limit(array $book)
    {
        $own = (int) ($book['sizelimit'] ?? 0);
        return $own > 0 ? min($own, self::MAX_ENTRIES) : self::MAX_ENTRIES;
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
        $result = @$fn($link, (string) ($book['base_dn'] ?? ''), $filter, self::ATTRIBUTES, 0, self::size_limit($book), self::time_limit($book));
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
