//! Reading the option objects of the wasm API (`{ digest: "sha384", trust: [...] }`).
//!
//! By hand rather than with serde-wasm-bindgen: serde's deserializing machinery (a visitor per option
//! type, the buffering `#[serde(flatten)]` needs, and the float formatting behind its error messages)
//! was 27 KB of the gzipped wasm. The rules are serde-wasm-bindgen's for every value the API documents:
//! members by name (from a plain object, or a `Map`); a missing, `undefined` or `null` member takes its
//! default; strings and booleans are JS strings and booleans; byte strings are `Uint8Array`s,
//! `ArrayBuffer`s or arrays of numbers 0-255; lists are arrays or other iterables; a wrong type is an
//! `invalid-argument` error naming the member.

use js_sys::{Array, ArrayBuffer, Map, Number, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

use crate::{Error, Result};

/// The members of one options object.
pub(super) struct Members<'a> {
    object: JsValue,
    /// The object as a `Map`, when it is one (checked once: each check is a call out of wasm).
    map: Option<Map>,
    what: &'a str,
}

impl<'a> Members<'a> {
    /// `None` for `undefined` or `null` (every member takes its default); an error for a non-object.
    pub(super) fn of(value: JsValue, what: &'a str) -> Result<Option<Self>> {
        if value.is_undefined() || value.is_null() {
            return Ok(None);
        }
        if !value.is_object() {
            return Err(Error::InvalidArgument(format!("{what}: expected an object")));
        }
        Ok(Some(Members { map: value.dyn_ref::<Map>().cloned(), object: value, what }))
    }

    fn invalid(&self, key: &str, expected: &str) -> Error {
        Error::InvalidArgument(format!("{}: {key}: expected {expected}", self.what))
    }

    /// The member, `None` when it is missing, `undefined` or `null`.
    fn get(&self, key: &'static str) -> Option<JsValue> {
        let key = js_name(key);
        let value = match &self.map {
            Some(map) => map.get(&key),
            None => Reflect::get(&self.object, &key).unwrap_or(JsValue::UNDEFINED),
        };
        (!value.is_undefined() && !value.is_null()).then_some(value)
    }

    pub(super) fn bool(&self, key: &'static str, default: bool) -> Result<bool> {
        self.get(key).map_or(Ok(default), |v| v.as_bool().ok_or_else(|| self.invalid(key, "a boolean")))
    }

    pub(super) fn string(&self, key: &'static str) -> Result<Option<String>> {
        self.get(key).map(|v| v.as_string().ok_or_else(|| self.invalid(key, "a string"))).transpose()
    }

    /// A member that must be there (serde's "missing field").
    pub(super) fn required<T>(&self, key: &str, value: Result<Option<T>>) -> Result<T> {
        value?.ok_or_else(|| self.invalid(key, "a value (the member is missing)"))
    }

    /// A whole number 0 to 2^53 - 1, or a BigInt that fits 64 bits.
    pub(super) fn u64(&self, key: &'static str) -> Result<Option<u64>> {
        let Some(v) = self.get(key) else { return Ok(None) };
        let n = if v.is_bigint() {
            u64::try_from(v).ok()
        } else if Number::is_safe_integer(&v) {
            v.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)
        } else {
            None
        };
        n.map(Some).ok_or_else(|| self.invalid(key, "a non-negative whole number"))
    }

    pub(super) fn bytes(&self, key: &'static str) -> Result<Option<Vec<u8>>> {
        self.get(key).map(|v| bytes_of(&v).ok_or_else(|| self.invalid(key, "bytes (a Uint8Array)"))).transpose()
    }

    /// A list of byte strings (certificates, CRLs, OCSP responses); missing means empty.
    pub(super) fn byte_list(&self, key: &'static str) -> Result<Vec<Vec<u8>>> {
        self.list(key, "a list of Uint8Arrays", |item| bytes_of(&item))
    }

    /// A list; missing means empty. `item` reads one element, `None` when it has the wrong type.
    pub(super) fn list<T>(
        &self,
        key: &'static str,
        expected: &str,
        item: impl FnMut(JsValue) -> Option<T>,
    ) -> Result<Vec<T>> {
        let Some(v) = self.get(key) else { return Ok(Vec::new()) };
        items(&v).and_then(|list| list.into_iter().map(item).collect()).ok_or_else(|| self.invalid(key, expected))
    }

    /// One of `choices`, by its name (the kebab-case names serde gave the enums).
    pub(super) fn choice<T: Copy>(&self, key: &'static str, choices: &[(&str, T)]) -> Result<Option<T>> {
        let Some(name) = self.string(key)? else { return Ok(None) };
        match choices.iter().find(|(n, _)| *n == name) {
            Some((_, value)) => Ok(Some(*value)),
            None => {
                let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
                Err(self.invalid(key, &format!("one of {} (not {name:?})", names.join(", "))))
            }
        }
    }
}

thread_local! {
    /// The JavaScript strings of the member names read so far (a few dozen names, all in this
    /// module's callers): making one is a call out of wasm that decodes UTF-8.
    static NAMES: core::cell::RefCell<Vec<(&'static str, JsValue)>> = const { core::cell::RefCell::new(Vec::new()) };
}

/// The JavaScript string `name`, made once and kept. (The list is borrowed only while it is
/// searched or extended, which calls no JavaScript that could come back here; if it were busy all
/// the same, a string of its own is made.)
fn js_name(name: &'static str) -> JsValue {
    NAMES.with(|names| {
        let Ok(mut names) = names.try_borrow_mut() else { return JsValue::from_str(name) };
        if let Some((_, key)) = names.iter().find(|(n, _)| *n == name) {
            return key.clone();
        }
        let key = JsValue::from_str(name);
        names.push((name, key.clone()));
        key
    })
}

/// The bytes of a `Uint8Array`, an `ArrayBuffer` or an array of numbers 0-255.
pub(super) fn bytes_of(v: &JsValue) -> Option<Vec<u8>> {
    if let Some(a) = v.dyn_ref::<Uint8Array>() {
        return Some(a.to_vec());
    }
    if let Some(b) = v.dyn_ref::<ArrayBuffer>() {
        return Some(Uint8Array::new(b).to_vec());
    }
    v.dyn_ref::<Array>()?
        .iter()
        .map(|n| n.as_f64().filter(|f| Number::is_integer(&n) && (0.0..=255.0).contains(f)).map(|f| f as u8))
        .collect()
}

/// The elements of an array or other iterable.
pub(super) fn items(v: &JsValue) -> Option<Vec<JsValue>> {
    if let Some(a) = v.dyn_ref::<Array>() {
        return Some(a.to_vec());
    }
    js_sys::try_iter(v).ok().flatten()?.collect::<core::result::Result<Vec<_>, _>>().ok()
}
