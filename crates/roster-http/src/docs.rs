//! `/api/docs`: a self-contained HTML page rendered from the OpenAPI document, so the API
//! reference works offline with no scripts or assets from elsewhere.

use crate::AppState;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use serde_json::Value;
use std::fmt::Write;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/docs", get(page))
}

async fn page(State(s): State<AppState>) -> Html<String> {
    Html(s.docs.as_str().to_owned())
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A short type name for a schema: `User`, `string (uuid)`, `array of Group`.
fn type_name(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or(r).to_owned();
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(list) = schema.get(key).and_then(Value::as_array) {
            let names: Vec<String> = list.iter().map(type_name).filter(|n| n != "null").collect();
            return names.join(" | ");
        }
    }
    let ty = match schema.get("type") {
        Some(Value::Array(types)) => {
            types.iter().filter_map(Value::as_str).filter(|t| *t != "null").collect::<Vec<_>>().join(" | ")
        }
        Some(Value::String(t)) => t.clone(),
        _ => "any".to_owned(),
    };
    if ty == "array" {
        return format!("array of {}", schema.get("items").map(type_name).unwrap_or_else(|| "any".into()));
    }
    match schema.get("format").and_then(Value::as_str) {
        Some(f) => format!("{ty} ({f})"),
        None => ty,
    }
}

/// Renders the reference page.
pub fn render(spec: &Value) -> String {
    let mut out = String::new();
    let title = spec.pointer("/info/title").and_then(Value::as_str).unwrap_or("API");
    let version = spec.pointer("/info/version").and_then(Value::as_str).unwrap_or("");
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title><style>\
         body{{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f}}\
         h2{{border-bottom:1px solid #ddd;padding-top:1rem}} .op{{margin:1rem 0;padding:.6rem .9rem;border:1px solid #ddd;border-radius:6px}}\
         .m{{display:inline-block;min-width:4.5rem;font-weight:700;font-family:monospace}} code{{font-family:monospace}}\
         table{{border-collapse:collapse;margin:.4rem 0}} td,th{{border:1px solid #e3e3e3;padding:.2rem .5rem;text-align:left;vertical-align:top}}\
         </style></head><body><h1>{t} <small>{v}</small></h1><p>{d}</p>\
         <p>The machine-readable document is at <a href=\"/api/v1/openapi.json\"><code>/api/v1/openapi.json</code></a>. \
         Every route takes <code>Authorization: Bearer &lt;API key&gt;</code>.</p>",
        t = esc(title),
        v = esc(version),
        d = esc(spec.pointer("/info/description").and_then(Value::as_str).unwrap_or("")),
    );
    out.push_str("<h2>Operations</h2>");
    if let Some(paths) = spec.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            for (method, op) in item {
                let summary = op.get("summary").or_else(|| op.get("description")).and_then(Value::as_str).unwrap_or("");
                let _ = write!(
                    out,
                    "<div class=\"op\"><span class=\"m\">{}</span><code>{}</code><p>{}</p>",
                    esc(&method.to_uppercase()),
                    esc(path),
                    esc(summary)
                );
                if let Some(params) = op.get("parameters").and_then(Value::as_array) {
                    out.push_str("<table><tr><th>parameter</th><th>in</th><th>type</th><th>description</th></tr>");
                    for p in params {
                        let _ = write!(
                            out,
                            "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                            esc(p.get("name").and_then(Value::as_str).unwrap_or("")),
                            if p.get("required").and_then(Value::as_bool).unwrap_or(false) {
                                " (required)"
                            } else {
                                ""
                            },
                            esc(p.get("in").and_then(Value::as_str).unwrap_or("")),
                            esc(&p.get("schema").map(type_name).unwrap_or_default()),
                            esc(p.get("description").and_then(Value::as_str).unwrap_or("")),
                        );
                    }
                    out.push_str("</table>");
                }
                if let Some(content) = op.pointer("/requestBody/content").and_then(Value::as_object) {
                    for (ct, media) in content {
                        let _ = write!(
                            out,
                            "<p>Body <code>{}</code>: {}</p>",
                            esc(ct),
                            esc(&media.get("schema").map(type_name).unwrap_or_default())
                        );
                    }
                }
                if let Some(responses) = op.get("responses").and_then(Value::as_object) {
                    out.push_str("<table><tr><th>status</th><th>meaning</th></tr>");
                    for (status, r) in responses {
                        let _ = write!(
                            out,
                            "<tr><td>{}</td><td>{}</td></tr>",
                            esc(status),
                            esc(r.get("description").and_then(Value::as_str).unwrap_or(""))
                        );
                    }
                    out.push_str("</table>");
                }
                out.push_str("</div>");
            }
        }
    }
    out.push_str("<h2>Schemas</h2>");
    if let Some(schemas) = spec.pointer("/components/schemas").and_then(Value::as_object) {
        for (name, schema) in schemas {
            let _ = write!(out, "<h3 id=\"{n}\">{n}</h3>", n = esc(name));
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                let required: Vec<&str> = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                out.push_str("<table><tr><th>attribute</th><th>type</th><th>description</th></tr>");
                for (prop, ps) in props {
                    let _ = write!(
                        out,
                        "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td></tr>",
                        esc(prop),
                        if required.contains(&prop.as_str()) { " (required)" } else { "" },
                        esc(&type_name(ps)),
                        esc(ps.get("description").and_then(Value::as_str).unwrap_or("")),
                    );
                }
                out.push_str("</table>");
            } else if let Some(values) = schema.get("enum").and_then(Value::as_array) {
                let vals: Vec<String> = values.iter().map(|v| v.to_string()).collect();
                let _ = write!(out, "<p>One of {}</p>", esc(&vals.join(", ")));
            }
        }
    }
    out.push_str("</body></html>");
    out
}
