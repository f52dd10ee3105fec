//! Test-only access to `testdata/platform_vectors.json`, the verified
//! protocol vectors shared with the docs. Tests iterate over the JSON so
//! that vectors added to the file are picked up without code changes.

use serde_json::Value;

const RAW: &str = include_str!("testdata/platform_vectors.json");

/// The whole vectors document.
pub(crate) fn all() -> Value {
    serde_json::from_str(RAW).expect("platform_vectors.json is valid JSON")
}

/// The array found at `pointer` (a JSON pointer such as `/dingtalk/sign`).
pub(crate) fn list(pointer: &str) -> Vec<Value> {
    let doc = all();
    let found = doc
        .pointer(pointer)
        .unwrap_or_else(|| panic!("no {pointer}"));
    found.as_array().expect("vector list is an array").clone()
}

/// The string field `key` of `vector`, panicking with the vector's name.
pub(crate) fn str_field<'a>(vector: &'a Value, key: &str) -> &'a str {
    vector[key]
        .as_str()
        .unwrap_or_else(|| panic!("vector {} lacks string `{key}`", name(vector)))
}

/// A human label for assertion messages.
pub(crate) fn name(vector: &Value) -> String {
    ["name", "case", "timestamp_ms"]
        .iter()
        .find_map(|key| vector[*key].as_str())
        .unwrap_or("<unnamed>")
        .to_owned()
}
