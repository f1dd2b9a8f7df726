//! A person at a browser without JavaScript, over real HTTP: forms posted, cookies kept by hand,
//! redirects not followed. Shared by the console's and the privacy center's tests.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::HashMap;

use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use reqwest::{Method, StatusCode};

use crate::common::Server;

/// A person at a browser without JavaScript: cookies kept by hand, redirects not followed (so each
/// answer can be looked at).
pub struct Person {
    pub http: reqwest::Client,
    pub base: String,
    pub cookies: HashMap<String, String>,
    /// Headers sent with every request (e.g. the `X-Forwarded-For` a trusted proxy adds).
    pub headers: HeaderMap,
}

pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub html: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The value of the first input named `name`.
    pub fn field(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self
            .html
            .find(&marker)
            .unwrap_or_else(|| panic!("no field {name} in:\n{}", self.html))
            + marker.len();
        self.html[start..].split('"').next().unwrap().to_string()
    }

    pub fn text_of_id(&self, id: &str) -> String {
        let marker = format!("id=\"{id}\">");
        let start = self.html.find(&marker).unwrap() + marker.len();
        self.html[start..].split('<').next().unwrap().to_string()
    }
}

impl Person {
    pub fn new(server: &Server) -> Person {
        Person::with_client(
            server,
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        )
    }

    /// A person whose browser is `http` (one that trusts a test certificate, say); it should not
    /// follow redirects.
    pub fn with_client(server: &Server, http: reqwest::Client) -> Person {
        Person {
            http,
            base: server.base.clone(),
            cookies: HashMap::new(),
            headers: HeaderMap::new(),
        }
    }

    /// Sends `value` as the header `name` with every request from now on.
    pub fn with_header(mut self, name: &'static str, value: &str) -> Person {
        self.headers.insert(name, value.parse().unwrap());
        self
    }

    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn keep_cookies(&mut self, headers: &HeaderMap) {
        for value in headers.get_all(SET_COOKIE) {
            let text = value.to_str().unwrap();
            let (pair, _) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || text.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
    }

    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        form: Option<&[(&str, &str)]>,
    ) -> Page {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        };
        let mut request = self.http.request(method, url).headers(self.headers.clone());
        if !self.cookies.is_empty() {
            request = request.header("cookie", self.cookie_header());
        }
        if let Some(form) = form {
            let body = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form.iter())
                .finish();
            request = request
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        self.keep_cookies(&headers);
        // The text a reader sees: the escapes the templates write decoded, so that a value escaped
        // on its way into the page is still found by a search for it.
        let html = response
            .text()
            .await
            .unwrap()
            .replace("&#x2f;", "/")
            .replace("&#x27;", "'")
            .replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&");
        Page {
            status,
            headers,
            html,
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        self.send(Method::POST, path, Some(form)).await
    }
}
