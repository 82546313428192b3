//! Indented JSON for the command's reports.
//!
//! Certificate summaries serialize as JSON rendered once, compact (`siegel::cert::Summary`), and
//! serde_json's pretty printer copies such JSON as it is, on one line. So the command writes compact
//! JSON and indents it itself, exactly as serde_json's pretty printer does: two spaces a level,
//! `": "` after a key, `[]` and `{}` for empty lists and objects.

/// `value` as indented JSON.
pub fn to_string<T: serde::Serialize>(value: &T) -> serde_json::Result<String> {
    Ok(indent(&serde_json::to_string(value)?))
}

/// Indents compact JSON (no whitespace outside strings, as serde_json writes it).
fn indent(compact: &str) -> String {
    let mut out = String::with_capacity(compact.len() * 2);
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let mut chars = compact.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                let close = if c == '{' { '}' } else { ']' };
                out.push(c);
                if chars.peek() == Some(&close) {
                    chars.next();
                    out.push(close);
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(',');
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            _ => out.push(c),
        }
    }
    out
}

fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    (0..depth).for_each(|_| out.push_str("  "));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indents_as_serde_json_does() {
        let value = serde_json::json!({
            "a": [1, 2.5, -3, true, false, null, [], {}, [[]], [{}]],
            "s": "quotes \" and \\ and {braces}, [brackets], colons: commas, \u{e9} \n\t",
            "nested": { "empty": {}, "list": [{ "x": "y" }, "z"], "deep": { "deeper": { "deepest": [1] } } },
            "": ""
        });
        assert_eq!(to_string(&value).unwrap(), serde_json::to_string_pretty(&value).unwrap());
        for scalar in [serde_json::json!(1), serde_json::json!("x"), serde_json::json!([]), serde_json::json!({})] {
            assert_eq!(to_string(&scalar).unwrap(), serde_json::to_string_pretty(&scalar).unwrap());
        }
    }

    #[test]
    fn summaries_are_indented_too() {
        let pem = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/pki/root.crt")).unwrap();
        let cert = siegel::cert::parse_certificates(&pem).unwrap().remove(0);
        let summary = siegel::cert::Summary::of(&cert);
        let ours = to_string(&vec![summary.clone()]).unwrap();
        let fields = serde_json::to_string_pretty(&vec![summary.fields()]).unwrap();
        assert_eq!(ours, fields);
        assert!(ours.contains("\n    \"subject\": "), "{ours}");
    }
}
