//! Address lists (RFC 5322 section 3.4): `Name <a@b>`, `"Last, First" <a@b>`, `a@b (Name)`, groups.

use super::rfc2047::decode_header_words;

/// One mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// The display name, unquoted and decoded, if there is one.
    pub display_name: Option<String>,
    /// The address as written (not lower-cased: the local part is case-sensitive in principle).
    pub email: String,
}

/// Splits on `sep` outside quotes, angle brackets and comments.
fn split_outside(s: &str, seps: &[char]) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut quoted, mut escaped, mut angle, mut comment) = (false, false, 0usize, 0usize);
    for c in s.chars() {
        if escaped {
            escaped = false;
            cur.push(c);
            continue;
        }
        match c {
            '\\' if quoted || comment > 0 => escaped = true,
            '"' if comment == 0 => quoted = !quoted,
            '(' if !quoted => comment += 1,
            ')' if !quoted && comment > 0 => comment -= 1,
            '<' if !quoted && comment == 0 => angle += 1,
            '>' if !quoted && comment == 0 && angle > 0 => angle -= 1,
            _ if seps.contains(&c) && !quoted && angle == 0 && comment == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur);
    out
}

/// Removes comments and returns (text without comments, the comments' text).
fn comments(s: &str) -> (String, String) {
    let (mut text, mut comment_text) = (String::new(), String::new());
    let (mut depth, mut quoted, mut escaped) = (0usize, false, false);
    for c in s.chars() {
        if escaped {
            escaped = false;
            if depth > 0 {
                comment_text.push(c)
            } else {
                text.push(c)
            }
            continue;
        }
        match c {
            '\\' => {
                escaped = true;
                if depth == 0 {
                    text.push(c);
                }
            }
            '"' if depth == 0 => {
                quoted = !quoted;
                text.push(c);
            }
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth > 0 => depth -= 1,
            _ if depth > 0 => comment_text.push(c),
            _ => text.push(c),
        }
    }
    (text, comment_text)
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    let mut out = String::with_capacity(s.len());
    let mut escaped = false;
    let mut in_quotes = false;
    for c in s.chars() {
        if escaped {
            out.push(c);
            escaped = false;
        } else if c == '\\' && in_quotes {
            escaped = true;
        } else if c == '"' {
            in_quotes = !in_quotes;
        } else {
            out.push(c);
        }
    }
    // Collapse runs of whitespace (folded display names).
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn mailbox(item: &str) -> Option<Address> {
    let item = item.trim();
    if item.is_empty() {
        return None;
    }
    let (text, comment) = comments(item);
    if let (Some(open), Some(close)) = (text.rfind('<'), text.rfind('>')) {
        if open < close {
            let email = text.get(open + 1..close)?.trim();
            // Strip an obsolete source route: <@a,@b:user@host>.
            let email = email.rsplit_once(':').map_or(email, |(_, e)| e).trim().to_string();
            let name = unquote(text.get(..open)?);
            let display_name = (!name.is_empty()).then(|| decode_header_words(&name));
            return (!email.is_empty()).then_some(Address { display_name, email });
        }
    }
    let email = text.trim().to_string();
    if email.is_empty() || !email.contains('@') {
        return None;
    }
    let name = unquote(&comment);
    Some(Address { display_name: (!name.is_empty()).then(|| decode_header_words(&name)), email })
}

/// Reads an address list header value (From, To, Cc, Reply-To, ...). Groups are flattened;
/// items that are not addresses are skipped.
pub fn parse_address_list(value: &str) -> Vec<Address> {
    let mut out = Vec::new();
    for group_or_list in split_outside(value, &[';']) {
        // "Group name: a, b" — drop the group name.
        let parts = split_outside(&group_or_list, &[':']);
        let members = if parts.len() > 1 && !parts.first().is_some_and(|p| p.contains('<') || p.contains('@')) {
            parts.get(1..).map(|p| p.join(":")).unwrap_or_default()
        } else {
            group_or_list
        };
        for item in split_outside(&members, &[',']) {
            if let Some(a) = mailbox(&item) {
                out.push(a);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emails(v: &str) -> Vec<(Option<String>, String)> {
        parse_address_list(v).into_iter().map(|a| (a.display_name, a.email)).collect()
    }

    #[test]
    fn the_common_forms() {
        assert_eq!(emails("Alice <alice@example.com>"), vec![(Some("Alice".into()), "alice@example.com".into())]);
        assert_eq!(emails("bob@example.com"), vec![(None, "bob@example.com".into())]);
        assert_eq!(
            emails("\"Doe, John\" <j@x.org>, carol@y.org (Carol C), <d@z.org>"),
            vec![
                (Some("Doe, John".into()), "j@x.org".into()),
                (Some("Carol C".into()), "carol@y.org".into()),
                (None, "d@z.org".into())
            ]
        );
        assert_eq!(emails("=?utf-8?q?J=C3=B6rg?= <j@x.de>"), vec![(Some("Jörg".into()), "j@x.de".into())]);
    }

    #[test]
    fn keeps_case_trims_and_reads_comments() {
        assert_eq!(emails("  Alice.Smith@Example.COM  "), vec![(None, "Alice.Smith@Example.COM".into())]);
        assert_eq!(emails("Bob (the builder) < Bob@X.org >"), vec![(Some("Bob".into()), "Bob@X.org".into())]);
        assert_eq!(emails("a@x.org (A \\(B\\))"), vec![(Some("A (B)".into()), "a@x.org".into())]);
        assert_eq!(
            emails("\"=?ISO-8859-1?Q?Andr=E9?= Pirard\" <PIRARD@vm1.ulg.ac.be>"),
            vec![(Some("André Pirard".into()), "PIRARD@vm1.ulg.ac.be".into())]
        );
    }

    #[test]
    fn groups_and_junk() {
        assert_eq!(emails("Team: a@x.org, B <b@x.org>;, c@x.org").len(), 3);
        assert_eq!(emails("undisclosed-recipients:;"), vec![]);
        assert_eq!(emails(""), vec![]);
        assert_eq!(emails("not an address, <>"), vec![]);
        assert_eq!(emails("\"a@b\" <real@x.org>"), vec![(Some("a@b".into()), "real@x.org".into())]);
    }
}
