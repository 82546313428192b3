//! Distinguished names as text (RFC 4514), the way x509-cert's `Display` for `Name` writes them.
//!
//! x509-cert looks attribute names up in const-oid's name database (`const_oid::db::DB`, about a
//! thousand OIDs with their names), which then ships in the WebAssembly binary. This module writes the
//! same text from a short table of the attributes certificates use; any other attribute is written
//! in the RFC 4514 form for unknown types, `dotted.oid=#hex-of-the-DER-value` (which x509-cert also
//! writes for attributes it has no name for, or whose value is not a string).

use const_oid::ObjectIdentifier as Oid;
use der::asn1::{Ia5StringRef, PrintableStringRef, TeletexStringRef, Utf8StringRef};
use der::{Encode, Tag, Tagged};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::name::Name;

/// The attribute names, as x509-cert writes them: the shortest name const-oid's database has for the
/// OID, in upper case (hence `EMAIL`, `GIVENNAME`, `SERIALNUMBER`).
const ATTRIBUTES: &[(Oid, &str)] = &[
    (Oid::new_unwrap("2.5.4.3"), "CN"),
    (Oid::new_unwrap("2.5.4.4"), "SN"),
    (Oid::new_unwrap("2.5.4.5"), "SERIALNUMBER"),
    (Oid::new_unwrap("2.5.4.6"), "C"),
    (Oid::new_unwrap("2.5.4.7"), "L"),
    (Oid::new_unwrap("2.5.4.8"), "ST"),
    (Oid::new_unwrap("2.5.4.9"), "STREET"),
    (Oid::new_unwrap("2.5.4.10"), "O"),
    (Oid::new_unwrap("2.5.4.11"), "OU"),
    (Oid::new_unwrap("2.5.4.12"), "TITLE"),
    (Oid::new_unwrap("2.5.4.13"), "DESCRIPTION"),
    (Oid::new_unwrap("2.5.4.15"), "BUSINESSCATEGORY"),
    (Oid::new_unwrap("2.5.4.16"), "POSTALADDRESS"),
    (Oid::new_unwrap("2.5.4.17"), "POSTALCODE"),
    (Oid::new_unwrap("2.5.4.18"), "POSTOFFICEBOX"),
    (Oid::new_unwrap("2.5.4.20"), "TELEPHONENUMBER"),
    (Oid::new_unwrap("2.5.4.41"), "NAME"),
    (Oid::new_unwrap("2.5.4.42"), "GIVENNAME"),
    (Oid::new_unwrap("2.5.4.43"), "INITIALS"),
    (Oid::new_unwrap("2.5.4.44"), "GENERATIONQUALIFIER"),
    (Oid::new_unwrap("2.5.4.45"), "X500UNIQUEIDENTIFIER"),
    (Oid::new_unwrap("2.5.4.46"), "DNQUALIFIER"),
    (Oid::new_unwrap("2.5.4.65"), "PSEUDONYM"),
    (Oid::new_unwrap("2.5.4.72"), "ID-AT-ROLE"),
    (Oid::new_unwrap("0.9.2342.19200300.100.1.1"), "UID"),
    (Oid::new_unwrap("0.9.2342.19200300.100.1.25"), "DC"),
    (Oid::new_unwrap("1.2.840.113549.1.9.1"), "EMAIL"),
];

/// A distinguished name as RFC 4514 text: the RDNs last to first, separated by `,`, the attributes of
/// a multi-valued RDN joined by `+`. Identical to x509-cert's `name.to_string()` for the attributes in
/// the table above.
pub fn to_string(name: &Name) -> String {
    let mut out = String::new();
    for (i, rdn) in name.0.iter().rev().enumerate() {
        if i > 0 {
            out.push(',');
        }
        for (j, atv) in rdn.0.iter().enumerate() {
            if j > 0 {
                out.push('+');
            }
            push_attribute(&mut out, atv);
        }
    }
    out
}

fn attribute_name(atv: &AttributeTypeAndValue) -> Option<&'static str> {
    ATTRIBUTES.iter().find(|(o, _)| *o == atv.oid).map(|(_, n)| *n)
}

fn push_attribute(out: &mut String, atv: &AttributeTypeAndValue) {
    let value = match atv.value.tag() {
        Tag::PrintableString => PrintableStringRef::try_from(&atv.value).ok().map(|s| s.as_str()),
        Tag::Utf8String => Utf8StringRef::try_from(&atv.value).ok().map(|s| s.as_str()),
        Tag::Ia5String => Ia5StringRef::try_from(&atv.value).ok().map(|s| s.as_str()),
        Tag::TeletexString => TeletexStringRef::try_from(&atv.value).ok().map(|s| s.as_str()),
        _ => None,
    };
    match (attribute_name(atv), value) {
        (Some(key), Some(value)) => {
            out.push_str(key);
            out.push('=');
            push_escaped(out, value);
        }
        _ => {
            out.push_str(&atv.oid.to_string());
            out.push_str("=#");
            // Encoding an `Any` already decoded fails only past der's length limit; x509-cert's
            // `Display` then fails, and here the hex is left empty.
            push_hex(out, &atv.value.to_der().unwrap_or_default());
        }
    }
}

/// RFC 4514 section 2.4 escaping, as x509-cert does it: a leading `#`, a leading or trailing space,
/// the special characters, and control characters as `\xx`.
fn push_escaped(out: &mut String, value: &str) {
    let mut chars = value.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || chars.peek().is_none() => out.push_str("\\ "),
            '"' | '+' | ',' | ';' | '<' | '>' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\x00'..='\x1f' | '\x7f' => {
                out.push('\\');
                push_hex(out, &[c as u8]);
            }
            _ => out.push(c),
        }
    }
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::str::FromStr;
    use der::asn1::{Any, BmpString, SetOfVec};
    use der::Decode;
    use x509_cert::name::{RdnSequence, RelativeDistinguishedName};

    fn atv(oid: &str, tag: Tag, value: &[u8]) -> AttributeTypeAndValue {
        AttributeTypeAndValue { oid: oid.parse().unwrap(), value: Any::new(tag, value).unwrap() }
    }

    fn name(rdns: Vec<Vec<AttributeTypeAndValue>>) -> Name {
        RdnSequence(rdns.into_iter().map(|atvs| RelativeDistinguishedName(SetOfVec::try_from(atvs).unwrap())).collect())
    }

    /// Every case below is also checked against x509-cert's own `Display`.
    fn check(name: &Name, expected: &str) {
        assert_eq!(to_string(name), expected);
        assert_eq!(name.to_string(), expected, "x509-cert writes it the same way");
    }

    #[test]
    fn order_and_names() {
        let n = Name::from_str("CN=Good CA,O=Test Certificates 2011,C=US").unwrap();
        check(&n, "CN=Good CA,O=Test Certificates 2011,C=US");
        let n = name(vec![
            vec![atv("0.9.2342.19200300.100.1.25", Tag::Ia5String, b"org")],
            vec![atv("2.5.4.42", Tag::Utf8String, b"Ada")],
            vec![atv("1.2.840.113549.1.9.1", Tag::Ia5String, b"ada@example.org")],
            vec![atv("2.5.4.5", Tag::PrintableString, b"42")],
        ]);
        check(&n, "SERIALNUMBER=42,EMAIL=ada@example.org,GIVENNAME=Ada,DC=org");
        check(&Name::default(), "");
    }

    #[test]
    fn every_table_entry_matches_x509_cert() {
        for (oid, label) in ATTRIBUTES {
            let n = name(vec![vec![atv(&oid.to_string(), Tag::Utf8String, b"v")]]);
            check(&n, &format!("{label}=v"));
        }
    }

    #[test]
    fn escaping() {
        let n = name(vec![vec![atv("2.5.4.3", Tag::Utf8String, "#a, b+c;\"d\"<e>\\f\x01\x7f é ".as_bytes())]]);
        check(&n, "CN=\\#a\\, b\\+c\\;\\\"d\\\"\\<e\\>\\\\f\\01\\7f é\\ ");
        let n = name(vec![vec![atv("2.5.4.3", Tag::TeletexString, b" x#")]]);
        check(&n, "CN=\\ x#");
    }

    #[test]
    fn multi_valued_rdn() {
        let n = name(vec![
            vec![atv("2.5.4.6", Tag::PrintableString, b"DE")],
            vec![atv("2.5.4.3", Tag::Utf8String, b"Ada"), atv("2.5.4.11", Tag::Utf8String, b"Mail")],
        ]);
        check(&n, "CN=Ada+OU=Mail,C=DE");
    }

    #[test]
    fn unknown_attributes_and_values_as_hex() {
        // organizationIdentifier is not in the table (nor in const-oid's database).
        let n = name(vec![vec![atv("2.5.4.97", Tag::Utf8String, b"VATDE-1")]]);
        check(&n, "2.5.4.97=#0c0756415444452d31");
        // A known attribute with a value that is not one of the string types.
        let bmp = BmpString::from_utf8("A").unwrap();
        let value = Any::from_der(&bmp.to_der().unwrap()).unwrap();
        let n = name(vec![vec![AttributeTypeAndValue { oid: "2.5.4.3".parse().unwrap(), value }]]);
        check(&n, "2.5.4.3=#1e020041");
        // A PrintableString with a character PrintableString does not allow.
        let n = name(vec![vec![atv("2.5.4.3", Tag::PrintableString, b"a@b")]]);
        check(&n, "2.5.4.3=#1303614062");
    }
}
