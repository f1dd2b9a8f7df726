//! A real browser for tests: Debian's headless Chromium driven by ChromeDriver over the W3C WebDriver
//! protocol (plain HTTP and JSON, through reqwest). Keyboard only — keys go through the Actions API
//! as a person's would — plus page source, screenshots and axe-core.
//!
//! Used as `#[path = "common/webdriver.rs"] mod webdriver;`, so only the browser tests compile it.
#![allow(clippy::unwrap_used, dead_code)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

/// The W3C name of an element reference in a JSON answer.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Keys as WebDriver codes them.
pub const TAB: &str = "\u{E004}";
pub const ENTER: &str = "\u{E007}";
pub const SHIFT: &str = "\u{E008}";
pub const SPACE: &str = " ";

/// What has the keyboard focus.
#[derive(Debug, Clone, Default)]
pub struct Focused {
    pub tag: String,
    pub id: String,
    pub name: String,
    pub kind: String,
    pub text: String,
    pub href: String,
    pub value: String,
}

impl std::fmt::Display for Focused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "<{} id={:?} name={:?} type={:?} href={:?}> {:?}",
            self.tag, self.id, self.name, self.kind, self.href, self.text
        )
    }
}

/// An axe-core violation: rule id, impact, what it asks, where.
#[derive(Debug, Clone)]
pub struct Violation {
    pub id: String,
    pub impact: String,
    pub help: String,
    pub targets: Vec<String>,
}

pub struct Browser {
    http: reqwest::Client,
    driver: Child,
    endpoint: String,
    session: String,
    _profile: tempfile::TempDir,
}

fn find(program: &str) -> Option<String> {
    ["/usr/bin", "/usr/local/bin", "/usr/lib/chromium"]
        .iter()
        .map(|dir| format!("{dir}/{program}"))
        .find(|path| std::path::Path::new(path).exists())
}

/// Whether the test must have a browser (CI) or may skip without one.
fn required() -> bool {
    std::env::var("VOW_REQUIRE_BROWSER").as_deref() == Ok("1")
}

impl Browser {
    /// Starts ChromeDriver and a headless Chromium window of `width`×`height`, with JavaScript on or
    /// off. `None` (with a `SKIPPED:` line) when they are not installed, unless `VOW_REQUIRE_BROWSER=1`.
    pub async fn start(javascript: bool, width: u32, height: u32) -> Option<Browser> {
        let (Some(driver), Some(chromium)) = (find("chromedriver"), find("chromium")) else {
            assert!(
                !required(),
                "VOW_REQUIRE_BROWSER=1 but chromium or chromedriver is missing (apt-get install chromium chromium-driver)"
            );
            use std::io::Write as _;
            let test = std::thread::current()
                .name()
                .unwrap_or("a test")
                .to_string();
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: {test} — chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
            );
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let endpoint = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        for _ in 0..100 {
            if http.get(format!("{endpoint}/status")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let mut prefs = json!({});
        if !javascript {
            prefs = json!({"profile.managed_default_content_settings.javascript": 2});
        }
        let capabilities = json!({
            "capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": chromium,
                    "args": [
                        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                        "--lang=ko-KR", "--hide-scrollbars", "--force-device-scale-factor=1",
                        format!("--user-data-dir={}", profile.path().display()),
                        format!("--window-size={width},{height}"),
                    ],
                    "prefs": prefs,
                },
            }}
        });
        let answer: Value = http
            .post(format!("{endpoint}/session"))
            .json(&capabilities)
            .send()
            .await
            .expect("chromedriver answers")
            .json()
            .await
            .unwrap();
        let session = answer["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {answer}"))
            .to_string();
        let browser = Browser {
            http,
            driver: child,
            endpoint,
            session,
            _profile: profile,
        };
        browser.set_window(width, height).await;
        Some(browser)
    }

    async fn command(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.endpoint, self.session);
        let mut request = self.http.request(method.clone(), &url);
        request = request.json(&body.unwrap_or_else(|| json!({})));
        if method == reqwest::Method::GET || method == reqwest::Method::DELETE {
            request = self.http.request(method.clone(), &url);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"));
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        assert!(
            status.is_success(),
            "WebDriver {method} {path}: {status} {}",
            answer["value"]["message"]
                .as_str()
                .unwrap_or(&answer.to_string())
        );
        answer["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.command(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    pub async fn url(&self) -> String {
        self.command(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn source(&self) -> String {
        self.command(reqwest::Method::GET, "/source", None)
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn set_window(&self, width: u32, height: u32) {
        self.command(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await;
    }

    /// Types `text` as key presses: characters, or the key constants above (a held SHIFT applies
    /// to what follows until the end of the call).
    pub async fn keys(&self, text: &str) {
        let mut actions = Vec::new();
        let mut shift = false;
        for c in text.chars() {
            let key = c.to_string();
            if key == SHIFT {
                actions.push(json!({"type": "keyDown", "value": key}));
                shift = true;
                continue;
            }
            actions.push(json!({"type": "keyDown", "value": key}));
            actions.push(json!({"type": "keyUp", "value": key}));
        }
        if shift {
            actions.push(json!({"type": "keyUp", "value": SHIFT}));
        }
        self.command(
            reqwest::Method::POST,
            "/actions",
            Some(json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})),
        )
        .await;
        self.command(reqwest::Method::DELETE, "/actions", None)
            .await;
    }

    async fn element_text(&self, element: &str, what: &str) -> String {
        let value = self
            .command(
                reqwest::Method::GET,
                &format!("/element/{element}/{what}"),
                None,
            )
            .await;
        value.as_str().unwrap_or("").to_string()
    }

    /// The element that has the focus.
    pub async fn focused(&self) -> Focused {
        let active = self
            .command(reqwest::Method::GET, "/element/active", None)
            .await;
        let Some(element) = active[ELEMENT].as_str().map(str::to_string) else {
            return Focused::default();
        };
        Focused {
            tag: self.element_text(&element, "name").await.to_lowercase(),
            id: self.element_text(&element, "attribute/id").await,
            name: self.element_text(&element, "attribute/name").await,
            kind: self.element_text(&element, "attribute/type").await,
            text: self.element_text(&element, "text").await,
            href: self.element_text(&element, "attribute/href").await,
            value: self.element_text(&element, "property/value").await,
        }
    }

    /// Presses Tab until `wanted` has the focus (at most `max` times), and returns it; fails with
    /// the list of what the focus passed through.
    pub async fn tab_to(
        &self,
        what: &str,
        max: usize,
        wanted: impl Fn(&Focused) -> bool,
    ) -> Focused {
        let mut passed = Vec::new();
        for _ in 0..max {
            self.keys(TAB).await;
            let focused = self.focused().await;
            if wanted(&focused) {
                return focused;
            }
            passed.push(focused.to_string());
        }
        panic!(
            "Tab never reached {what}; it passed:\n{}",
            passed.join("\n")
        );
    }

    pub async fn screenshot(&self, path: &std::path::Path) {
        use base64::Engine as _;
        let data = self
            .command(reqwest::Method::GET, "/screenshot", None)
            .await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().unwrap())
            .unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    /// axe-core's WCAG 2.1 A and AA rules on the current page (needs JavaScript on).
    pub async fn axe(&self) -> Vec<Violation> {
        let axe = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../vow/tests/assets/axe.min.js"
        ))
        .unwrap();
        self.command(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": format!("{axe}\nreturn typeof axe;"), "args": []})),
        )
        .await;
        let found = self
            .command(
                reqwest::Method::POST,
                "/execute/async",
                Some(json!({
                    "script": "const done = arguments[arguments.length - 1];
                        axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
                          .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact || '', help: v.help,
                             targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))))
                          .catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), targets: []}]));",
                    "args": [],
                })),
            )
            .await;
        found
            .as_array()
            .unwrap()
            .iter()
            .map(|v| Violation {
                id: v["id"].as_str().unwrap_or("").to_string(),
                impact: v["impact"].as_str().unwrap_or("").to_string(),
                help: v["help"].as_str().unwrap_or("").to_string(),
                targets: v["targets"]
                    .as_array()
                    .map(|t| {
                        t.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect()
    }

    /// Sets a cookie for the current page's site (HttpOnly, SameSite=Strict, as vow sets its own).
    pub async fn add_cookie(&self, name: &str, value: &str) {
        self.command(
            reqwest::Method::POST,
            "/cookie",
            Some(
                json!({"cookie": {"name": name, "value": value, "path": "/console",
                "httpOnly": true, "sameSite": "Strict"}}),
            ),
        )
        .await;
    }

    /// Whether the page fits the window's width (no sideways scrolling).
    pub async fn fits_width(&self) -> bool {
        self.too_wide().await.is_empty()
    }

    /// What sticks out past the window's right edge when the page scrolls sideways (tags, classes
    /// and the start of their text), or nothing when it fits.
    pub async fn too_wide(&self) -> Vec<String> {
        let value = self
            .command(
                reqwest::Method::POST,
                "/execute/sync",
                Some(json!({"script": "
                    if (document.documentElement.scrollWidth <= window.innerWidth) return [];
                    const out = [];
                    for (const e of document.body.querySelectorAll('*')) {
                        const r = e.getBoundingClientRect();
                        if (r.right > window.innerWidth + 1 && !e.closest('.scroll')) {
                            out.push(e.tagName + '.' + e.className + ' ' + Math.round(r.right) + 'px: ' + (e.textContent || '').trim().slice(0, 60));
                        }
                    }
                    return out.length ? out.slice(0, 8) : ['(the document itself)'];", "args": []})),
            )
            .await;
        value
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether a page's own scripts run in this browser: a page whose script retitles it is
    /// loaded, and its title read back.
    pub async fn page_scripts_run(&self) -> bool {
        self.goto("data:text/html,<title>before</title><script>document.title='after'</script>")
            .await;
        let title = self.command(reqwest::Method::GET, "/title", None).await;
        title == json!("after")
    }

    /// Ends the session and the driver (and with it the browser).
    pub async fn quit(mut self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.endpoint, self.session))
            .send()
            .await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
