//! `publish`: the public life of a policy as a static site — the version in force, every earlier version, the
//! version announced to come, a page per change (from [`crate::diff`]), the change notice for the service's
//! 공지사항 and e-mail, and JSON of each version for machines.
//!
//! Pure: versions and "today" come in, a list of files (path and text) goes out. The binary reads the
//! files and writes the site, so this module decides every word and link and tests need no disk.
//!
//! The layout, each URL stable once published:
//!
//! ```text
//! index.html, en.html                     the version in force (Korean, English)
//! history/ko.html, history/en.html        every version, newest first
//! versions/<version>/ko.html, en.html     one version
//! versions/<version>/policy.json          the policy file as data (without waivers and roles); ko.json,
//!                                         en.json the documents
//! changes/<version>/ko.html, en.html      what changed from the version before, material or ordinary
//! changes/<version>/notice.{ko,en}.txt    the notice for the service's 공지사항
//! changes/<version>/email.{ko,en}.txt     the same as an e-mail, with its subject line
//! changes/<version>/diff.json             the changes and the notice check
//! versions.json                           every version with its status and URLs
//! ```

use serde::Serialize;

use crate::diff::{diff, Change, PolicyDiff};
use crate::model::{Date, Lang, Policy};
use crate::render::{document, Block, RenderError, Renderer};

/// One version of the policy and the file it came from (for error messages).
#[derive(Debug, Clone)]
pub struct Version {
    pub source: String,
    pub policy: Policy,
}

/// What [`publish`] needs besides the versions.
#[derive(Debug, Clone)]
pub struct PublishOptions {
    /// The day the site is published: decides which version is in force and which are announced to come.
    pub today: Date,
    /// Where the site will be served (`https://example.com/privacy`), for the links in notices and e-mails.
    /// Without it, notices carry the site's relative paths.
    pub base_url: Option<String>,
}

/// One file of the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteFile {
    /// A relative path with `/` separators (`versions/v2/ko.html`).
    pub path: String,
    pub contents: String,
}

/// Why a site cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("there is no policy to publish")]
    NoVersions,
    #[error(
        "{file}: version {version:?} cannot be part of a URL; use letters, digits, '.', '-' or '_' \
         (not starting with '.')"
    )]
    VersionNotUrlSafe { file: String, version: String },
    #[error(
        "{first} and {second} both have version {version:?}; each version needs its own label"
    )]
    DuplicateVersion {
        first: String,
        second: String,
        version: String,
    },
    #[error(
        "{first} and {second} both take effect on {date}; two versions cannot start on the same day"
    )]
    SameEffectiveDate {
        first: String,
        second: String,
        date: Date,
    },
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("cannot encode JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Where a version stands on the day of publishing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Took effect, and a later version has since replaced it.
    Previous,
    /// In force today.
    InForce,
    /// Announced; takes effect on a later day.
    Announced,
}

/// Sections of the diff that concern how vow runs the policy, not what the public document says: they are
/// left out of the public change pages and notices (a waiver is a note about the policy's own gaps).
const INTERNAL_SECTIONS: [&str; 2] = ["waiver", "role"];

/// Builds the site. `versions` may come in any order; they are ordered by effective date.
pub fn publish(
    mut versions: Vec<Version>,
    options: &PublishOptions,
) -> Result<Vec<SiteFile>, PublishError> {
    if versions.is_empty() {
        return Err(PublishError::NoVersions);
    }
    for v in &versions {
        if !url_safe(&v.policy.policy.version) {
            return Err(PublishError::VersionNotUrlSafe {
                file: v.source.clone(),
                version: v.policy.policy.version.clone(),
            });
        }
    }
    versions.sort_by_key(|v| v.policy.policy.effective);
    for (i, a) in versions.iter().enumerate() {
        for b in &versions[i + 1..] {
            if a.policy.policy.version == b.policy.policy.version {
                return Err(PublishError::DuplicateVersion {
                    first: a.source.clone(),
                    second: b.source.clone(),
                    version: a.policy.policy.version.clone(),
                });
            }
        }
    }
    for pair in versions.windows(2) {
        if pair[0].policy.policy.effective == pair[1].policy.policy.effective {
            return Err(PublishError::SameEffectiveDate {
                first: pair[0].source.clone(),
                second: pair[1].source.clone(),
                date: pair[0].policy.policy.effective,
            });
        }
    }
    let site = Site::new(&versions, options);
    site.files()
}

/// Versions are used as directory names in URLs.
fn url_safe(version: &str) -> bool {
    !version.is_empty()
        && !version.starts_with('.')
        && version.len() <= 64
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

fn pick(lang: Lang, ko: &str, en: &str) -> String {
    match lang {
        Lang::Ko => ko.to_string(),
        Lang::En => en.to_string(),
    }
}

fn lang_code(lang: Lang) -> &'static str {
    match lang {
        Lang::Ko => "ko",
        Lang::En => "en",
    }
}

const LANGS: [Lang; 2] = [Lang::Ko, Lang::En];

fn day_before(date: Date) -> Date {
    date.0.previous_day().map_or(date, Date)
}

/// A link as the templates show it.
#[derive(Debug, Clone, Serialize)]
struct Link {
    href: String,
    text: String,
    /// Set when the link leads to a page in another language.
    lang: Option<&'static str>,
    note: Option<String>,
}

/// The site context of a policy page (`site` in `policy.html.j2`).
#[derive(Debug, Serialize)]
struct SiteContext {
    nav: Vec<Link>,
    notice: Option<Notice>,
    title_suffix: Option<String>,
}

#[derive(Debug, Serialize)]
struct Notice {
    text: String,
    href: Option<String>,
    link: Option<String>,
}

/// A page that is not a policy (`page` in `page.html.j2`).
#[derive(Debug, Serialize)]
struct Page {
    lang: &'static str,
    title: String,
    meta: Option<String>,
    nav: Vec<Link>,
    sections: Vec<PageSection>,
}

#[derive(Debug, Serialize)]
struct PageSection {
    id: &'static str,
    title: String,
    blocks: Vec<Block>,
    links: Vec<Link>,
    pre: Option<String>,
}

/// One entry of `versions.json`.
#[derive(Debug, Serialize)]
struct VersionEntry<'a> {
    version: &'a str,
    announced: Option<Date>,
    effective: Date,
    /// The last day the version applies, once a later version is announced to replace it: the day before
    /// that version takes effect, as the version's page says. Absent while no later version is known.
    until: Option<Date>,
    status: Status,
    ko: String,
    en: String,
    json: String,
    /// The change page from the version before, when there is one.
    change: Option<String>,
}

struct Site<'a> {
    versions: &'a [Version],
    options: &'a PublishOptions,
    /// Index into `versions` of the version the root pages show: the one in force, or (before any takes
    /// effect) the first announced.
    shown: usize,
    renderer: Renderer,
}

impl<'a> Site<'a> {
    fn new(versions: &'a [Version], options: &'a PublishOptions) -> Self {
        let in_force = versions
            .iter()
            .rposition(|v| v.policy.policy.effective <= options.today);
        Site {
            versions,
            options,
            shown: in_force.unwrap_or(0),
            renderer: Renderer::new(),
        }
    }

    fn version(&self, i: usize) -> &'a str {
        &self.versions[i].policy.policy.version
    }

    fn status(&self, i: usize) -> Status {
        let effective = self.versions[i].policy.policy.effective;
        if effective > self.options.today {
            Status::Announced
        } else if self
            .versions
            .get(i + 1)
            .is_some_and(|next| next.policy.policy.effective <= self.options.today)
        {
            Status::Previous
        } else {
            Status::InForce
        }
    }

    fn version_page(&self, i: usize, lang: Lang) -> String {
        format!("versions/{}/{}.html", self.version(i), lang_code(lang))
    }

    fn change_page(&self, i: usize, lang: Lang) -> Option<String> {
        (i > 0).then(|| format!("changes/{}/{}.html", self.version(i), lang_code(lang)))
    }

    fn root_page(lang: Lang) -> &'static str {
        match lang {
            Lang::Ko => "index.html",
            Lang::En => "en.html",
        }
    }

    fn history_page(lang: Lang) -> String {
        format!("history/{}.html", lang_code(lang))
    }

    /// A link for notices and e-mails, which are read away from the site.
    fn public_url(&self, path: &str) -> String {
        match &self.options.base_url {
            Some(base) => format!("{}/{path}", base.trim_end_matches('/')),
            None => path.to_string(),
        }
    }

    fn files(&self) -> Result<Vec<SiteFile>, PublishError> {
        let mut files = Vec::new();
        let mut entries = Vec::new();
        for i in 0..self.versions.len() {
            let policy = &self.versions[i].policy;
            for lang in LANGS {
                let path = self.version_page(i, lang);
                let html = self.policy_page(i, lang, "../../")?;
                files.push(SiteFile {
                    path,
                    contents: html,
                });
                files.push(SiteFile {
                    path: format!("versions/{}/{}.json", self.version(i), lang_code(lang)),
                    contents: serde_json::to_string_pretty(&document(policy, lang))? + "\n",
                });
            }
            files.push(SiteFile {
                path: format!("versions/{}/policy.json", self.version(i)),
                contents: serde_json::to_string_pretty(&public_policy(policy))? + "\n",
            });
            if i > 0 {
                files.extend(self.change_files(i)?);
            }
            entries.push(VersionEntry {
                version: self.version(i),
                announced: policy.policy.announced,
                effective: policy.policy.effective,
                until: self
                    .versions
                    .get(i + 1)
                    .map(|next| day_before(next.policy.policy.effective)),
                status: self.status(i),
                ko: self.version_page(i, Lang::Ko),
                en: self.version_page(i, Lang::En),
                json: format!("versions/{}/policy.json", self.version(i)),
                change: self.change_page(i, Lang::Ko),
            });
        }
        for lang in LANGS {
            files.push(SiteFile {
                path: Self::root_page(lang).to_string(),
                contents: self.policy_page(self.shown, lang, "")?,
            });
            files.push(SiteFile {
                path: Self::history_page(lang),
                contents: self.history(lang)?,
            });
        }
        files.push(SiteFile {
            path: "versions.json".to_string(),
            contents: serde_json::to_string_pretty(&entries)? + "\n",
        });
        Ok(files)
    }

    /// The links at the top of every page; `up` leads from the page's directory to the site's root.
    fn nav(&self, lang: Lang, up: &str, other_lang_page: &str) -> Vec<Link> {
        let other = match lang {
            Lang::Ko => Lang::En,
            Lang::En => Lang::Ko,
        };
        vec![
            Link {
                href: format!("{up}{}", Self::root_page(lang)),
                text: pick(lang, "현행 개인정보 처리방침", "Privacy policy in force"),
                lang: None,
                note: None,
            },
            Link {
                href: format!("{up}{}", Self::history_page(lang)),
                text: pick(lang, "개정 이력", "All versions"),
                lang: None,
                note: None,
            },
            Link {
                href: format!("{up}{other_lang_page}"),
                text: pick(other, "한국어", "English"),
                lang: Some(lang_code(other)),
                note: None,
            },
        ]
    }

    /// The page of version `i`; at the root (`up` empty) it is the page of the version in force.
    fn policy_page(&self, i: usize, lang: Lang, up: &str) -> Result<String, PublishError> {
        let other = match lang {
            Lang::Ko => Lang::En,
            Lang::En => Lang::Ko,
        };
        let other_page = if up.is_empty() {
            Self::root_page(other).to_string()
        } else {
            self.version_page(i, other)
        };
        let mut nav = self.nav(lang, up, &other_page);
        if let Some(change) = self.change_page(i, lang) {
            nav.push(Link {
                href: format!("{up}{change}"),
                text: pick(lang, "이전 버전과 달라진 점", "What changed"),
                lang: None,
                note: None,
            });
        }
        let site = SiteContext {
            nav,
            notice: Some(self.status_notice(i, lang, up)),
            title_suffix: Some(match lang {
                Lang::Ko => format!("버전 {}", self.version(i)),
                Lang::En => format!("version {}", self.version(i)),
            }),
        };
        Ok(self
            .renderer
            .render_site_policy(&self.versions[i].policy, lang, &site)?)
    }

    /// Where version `i` stands, in one sentence, with a link to what the reader most likely wants next.
    fn status_notice(&self, i: usize, lang: Lang, up: &str) -> Notice {
        let meta = &self.versions[i].policy.policy;
        let effective = meta.effective;
        let upcoming = (i + 1..self.versions.len()).find(|&j| self.status(j) == Status::Announced);
        match self.status(i) {
            Status::InForce => match upcoming {
                Some(j) => {
                    let next = &self.versions[j].policy.policy;
                    let announced = next.announced.map(|a| a.to_string());
                    Notice {
                        text: match (lang, announced) {
                            (Lang::Ko, Some(a)) => format!("{effective}부터 시행 중인 버전입니다. 새 버전 {}이(가) {a}에 공고되어 {}부터 시행되며, 그 전날인 {}까지는 이 버전이 적용됩니다.", next.version, next.effective, day_before(next.effective)),
                            (Lang::Ko, None) => format!("{effective}부터 시행 중인 버전입니다. 새 버전 {}이(가) {}부터 시행되며, 그 전날인 {}까지는 이 버전이 적용됩니다.", next.version, next.effective, day_before(next.effective)),
                            (Lang::En, Some(a)) => format!("This version has been in force since {effective}. A new version, {}, was announced on {a} and takes effect on {}; this one applies until {}.", next.version, next.effective, day_before(next.effective)),
                            (Lang::En, None) => format!("This version has been in force since {effective}. A new version, {}, takes effect on {}; this one applies until {}.", next.version, next.effective, day_before(next.effective)),
                        },
                        href: self.change_page(j, lang).map(|p| format!("{up}{p}")),
                        link: Some(pick(lang, "변경 안내 보기", "See what changes")),
                    }
                }
                None => Notice {
                    text: match lang {
                        Lang::Ko => format!("{effective}부터 시행 중인 현행 버전입니다."),
                        Lang::En => format!("This is the version in force, since {effective}."),
                    },
                    href: None,
                    link: None,
                },
            },
            Status::Previous => {
                let until = self
                    .versions
                    .get(i + 1)
                    .map_or(effective, |next| day_before(next.policy.policy.effective));
                Notice {
                    text: match lang {
                        Lang::Ko => {
                            format!("이전 버전입니다. {effective}부터 {until}까지 시행되었습니다.")
                        }
                        Lang::En => {
                            format!("An earlier version, in force from {effective} to {until}.")
                        }
                    },
                    href: Some(format!("{up}{}", Self::root_page(lang))),
                    link: Some(pick(lang, "현행 방침 보기", "Read the version in force")),
                }
            }
            Status::Announced => {
                let current = (self.status(self.shown) == Status::InForce).then_some(self.shown);
                let announced = meta.announced.map(|a| a.to_string());
                let text = match (lang, announced, current) {
                    (Lang::Ko, Some(a), Some(c)) => format!("{a}에 공고된 새 버전으로, {effective}부터 시행됩니다. 그 전까지는 버전 {}이(가) 적용됩니다.", self.version(c)),
                    (Lang::Ko, None, Some(c)) => format!("{effective}부터 시행되는 새 버전입니다. 그 전까지는 버전 {}이(가) 적용됩니다.", self.version(c)),
                    (Lang::Ko, Some(a), None) => format!("{a}에 공고되었으며 {effective}부터 시행됩니다."),
                    (Lang::Ko, None, None) => format!("{effective}부터 시행됩니다."),
                    (Lang::En, Some(a), Some(c)) => format!("A new version, announced on {a}, that takes effect on {effective}. Until then version {} applies.", self.version(c)),
                    (Lang::En, None, Some(c)) => format!("A new version that takes effect on {effective}. Until then version {} applies.", self.version(c)),
                    (Lang::En, Some(a), None) => format!("Announced on {a}; takes effect on {effective}."),
                    (Lang::En, None, None) => format!("Takes effect on {effective}."),
                };
                Notice {
                    text,
                    href: self.change_page(i, lang).map(|p| format!("{up}{p}")),
                    link: self
                        .change_page(i, lang)
                        .map(|_| pick(lang, "변경 안내 보기", "See what changes")),
                }
            }
        }
    }

    fn history(&self, lang: Lang) -> Result<String, PublishError> {
        let service = self.versions[self.shown].policy.policy.service.get(lang);
        let mut links = Vec::new();
        for i in (0..self.versions.len()).rev() {
            let meta = &self.versions[i].policy.policy;
            let status = match self.status(i) {
                Status::InForce => pick(lang, "시행 중", "in force"),
                Status::Previous => pick(lang, "이전 버전", "earlier version"),
                Status::Announced => {
                    pick(lang, "공고 중 (시행 예정)", "announced, not yet in force")
                }
            };
            let mut note = match (lang, meta.announced) {
                (Lang::Ko, Some(a)) => format!("공고 {a} · 시행 {} · {status}", meta.effective),
                (Lang::Ko, None) => format!("시행 {} · {status}", meta.effective),
                (Lang::En, Some(a)) => {
                    format!("announced {a} · effective {} · {status}", meta.effective)
                }
                (Lang::En, None) => format!("effective {} · {status}", meta.effective),
            };
            if i > 0 {
                let changes = self.public_diff(i);
                let material = changes.changes.iter().filter(|c| c.material).count();
                note.push_str(&match lang {
                    Lang::Ko => format!(" · 변경 {}건 (중요 {material}건)", changes.changes.len()),
                    Lang::En => {
                        format!(
                            " · {} ({material} material)",
                            changes_en(changes.changes.len())
                        )
                    }
                });
            }
            links.push(Link {
                href: format!("../{}", self.version_page(i, lang)),
                text: pick(
                    lang,
                    &format!("버전 {}", meta.version),
                    &format!("Version {}", meta.version),
                ),
                lang: None,
                note: Some(note),
            });
            if let Some(change) = self.change_page(i, lang) {
                links.push(Link {
                    href: format!("../{change}"),
                    text: pick(
                        lang,
                        &format!("버전 {} → {} 변경 안내", self.version(i - 1), meta.version),
                        &format!(
                            "Changes from version {} to {}",
                            self.version(i - 1),
                            meta.version
                        ),
                    ),
                    lang: None,
                    note: None,
                });
            }
        }
        let other = match lang {
            Lang::Ko => Lang::En,
            Lang::En => Lang::Ko,
        };
        let page = Page {
            lang: lang_code(lang),
            title: pick(
                lang,
                &format!("{service} 개인정보 처리방침 개정 이력"),
                &format!("{service} privacy policy: all versions"),
            ),
            meta: None,
            nav: self.nav(lang, "../", &Self::history_page(other)),
            sections: vec![PageSection {
                id: "versions",
                title: pick(lang, "버전 목록", "Versions"),
                blocks: vec![Block::Paragraph {
                    text: pick(
                        lang,
                        "이 서비스가 공개한 개인정보 처리방침의 모든 버전입니다. 각 버전의 주소는 바뀌지 않습니다.",
                        "Every version of the privacy policy this service has published. The address of each version never changes.",
                    ),
                }],
                links,
                pre: None,
            }],
        };
        Ok(self.renderer.render_page(&page)?)
    }

    /// The diff from version `i - 1` to `i`, without the sections that are not part of the public document.
    fn public_diff(&self, i: usize) -> PolicyDiff {
        let mut d = diff(&self.versions[i - 1].policy, &self.versions[i].policy);
        d.changes
            .retain(|c| !INTERNAL_SECTIONS.contains(&c.section));
        d
    }

    fn change_files(&self, i: usize) -> Result<Vec<SiteFile>, PublishError> {
        let d = self.public_diff(i);
        let dir = format!("changes/{}", self.version(i));
        let mut files = Vec::new();
        for lang in LANGS {
            let notice = self.notice_text(i, &d, lang);
            let email = self.email_text(i, &d, lang);
            files.push(SiteFile {
                path: format!("{dir}/{}.html", lang_code(lang)),
                contents: self.change_html(i, &d, lang, &notice, &email)?,
            });
            files.push(SiteFile {
                path: format!("{dir}/notice.{}.txt", lang_code(lang)),
                contents: notice,
            });
            files.push(SiteFile {
                path: format!("{dir}/email.{}.txt", lang_code(lang)),
                contents: email,
            });
        }
        files.push(SiteFile {
            path: format!("{dir}/diff.json"),
            contents: serde_json::to_string_pretty(&serde_json::json!({
                "from": self.version(i - 1),
                "to": self.version(i),
                "changes": d.changes,
                "notice": d.notice,
            }))? + "\n",
        });
        Ok(files)
    }

    fn change_html(
        &self,
        i: usize,
        d: &PolicyDiff,
        lang: Lang,
        notice: &str,
        email: &str,
    ) -> Result<String, PublishError> {
        let old = &self.versions[i - 1].policy.policy;
        let new = &self.versions[i].policy.policy;
        let service = new.service.get(lang);
        let material = d.changes.iter().filter(|c| c.material).count();
        let mut summary = vec![Block::Paragraph {
            text: match lang {
                Lang::Ko => format!(
                    "버전 {}({} 시행)에서 버전 {}({} 시행)으로 달라진 점입니다. 변경 {}건 가운데 중요한 변경은 {material}건입니다.",
                    old.version, old.effective, new.version, new.effective, d.changes.len()
                ),
                Lang::En => format!(
                    "What changed from version {} (in force from {}) to version {} (in force from {}): {}, {material} of them material.",
                    old.version, old.effective, new.version, new.effective, changes_en(d.changes.len())
                ),
            },
        }];
        summary.push(Block::List {
            items: self.dates_lines(i, d, lang),
        });
        let rows = d
            .changes
            .iter()
            .map(|c| {
                vec![
                    section_name(c.section, lang),
                    plain(c.describe(lang)),
                    weight(c, lang),
                ]
            })
            .collect();
        let mut sections = vec![
            PageSection {
                id: "summary",
                title: pick(lang, "요약", "Summary"),
                blocks: summary,
                links: vec![
                    Link {
                        href: format!("../../{}", self.version_page(i - 1, lang)),
                        text: pick(lang, &format!("변경 전: 버전 {}", old.version), &format!("Before: version {}", old.version)),
                        lang: None,
                        note: None,
                    },
                    Link {
                        href: format!("../../{}", self.version_page(i, lang)),
                        text: pick(lang, &format!("변경 후: 버전 {}", new.version), &format!("After: version {}", new.version)),
                        lang: None,
                        note: None,
                    },
                ],
                pre: None,
            },
            PageSection {
                id: "changes",
                title: pick(lang, "변경 내용", "The changes"),
                blocks: vec![
                    Block::Paragraph {
                        text: pick(
                            lang,
                            "중요한 변경은 수집 항목·이용 목적·제3자 제공·처리위탁·국외 이전이 늘거나 보유 기간이 길어지는 등 정보주체의 권리에 영향을 주는 변경입니다.",
                            "A change is material when it takes more from you: new items, purposes, third parties, processors or transfers abroad, or data kept longer.",
                        ),
                    },
                    Block::Table {
                        caption: pick(lang, "변경 내용", "Changes"),
                        headers: vec![
                            pick(lang, "항목", "Section"),
                            pick(lang, "내용", "Change"),
                            pick(lang, "구분", "Kind"),
                        ],
                        rows,
                    },
                ],
                links: Vec::new(),
                pre: None,
            },
        ];
        sections.push(PageSection {
            id: "notice",
            title: pick(
                lang,
                "공지사항 문안",
                "Notice for the service's notice board",
            ),
            blocks: Vec::new(),
            links: Vec::new(),
            pre: Some(notice.to_string()),
        });
        sections.push(PageSection {
            id: "email",
            title: pick(lang, "이메일 문안", "E-mail to members"),
            blocks: Vec::new(),
            links: Vec::new(),
            pre: Some(email.to_string()),
        });
        let other = match lang {
            Lang::Ko => Lang::En,
            Lang::En => Lang::Ko,
        };
        let page = Page {
            lang: lang_code(lang),
            title: pick(
                lang,
                &format!(
                    "{service} 개인정보 처리방침 변경 안내 (버전 {} → {})",
                    old.version, new.version
                ),
                &format!(
                    "{service} privacy policy changes (version {} → {})",
                    old.version, new.version
                ),
            ),
            // The dates are the summary's first lines; a header repeating them would say them twice.
            meta: None,
            nav: self.nav(
                lang,
                "../../",
                &format!("changes/{}/{}.html", self.version(i), lang_code(other)),
            ),
            sections,
        };
        Ok(self.renderer.render_page(&page)?)
    }

    /// Announced, effective, and until when the old version applies.
    fn dates_lines(&self, i: usize, d: &PolicyDiff, lang: Lang) -> Vec<String> {
        let old = &self.versions[i - 1].policy.policy;
        let new = &self.versions[i].policy.policy;
        let mut lines = Vec::new();
        if let Some(a) = new.announced {
            lines.push(pick(
                lang,
                &format!("공고일: {a}"),
                &format!("Announced: {a}"),
            ));
        }
        lines.push(pick(
            lang,
            &format!("시행일: {}", new.effective),
            &format!("Takes effect: {}", new.effective),
        ));
        lines.push(pick(
            lang,
            &format!(
                "버전 {} 적용 기간: {}까지",
                old.version,
                day_before(new.effective)
            ),
            &format!(
                "Version {} applies until: {}",
                old.version,
                day_before(new.effective)
            ),
        ));
        // The notice period is stated only when it was kept; a notice that came too late is the service's
        // matter to fix (`vow policy diff` says so), not a sentence for the public page.
        if d.notice.ok && d.notice.required_days > 0 {
            if let Some(given) = d.notice.given_days {
                lines.push(match (lang, d.notice.material) {
                    (Lang::Ko, true) => format!(
                        "중요한 변경이 있어 시행 {}일 전에 알립니다 ({given}일 전 공고).",
                        d.notice.required_days
                    ),
                    (Lang::Ko, false) => format!(
                        "시행 {}일 전에 알립니다 ({given}일 전 공고).",
                        d.notice.required_days
                    ),
                    (Lang::En, true) => format!(
                        "Material changes: announced at least {} days ahead ({given} days).",
                        d.notice.required_days
                    ),
                    (Lang::En, false) => format!(
                        "Announced at least {} days ahead ({given} days).",
                        d.notice.required_days
                    ),
                });
            }
        }
        lines
    }

    fn notice_body(&self, i: usize, d: &PolicyDiff, lang: Lang) -> String {
        let old = &self.versions[i - 1].policy;
        let new = &self.versions[i].policy;
        let service = new.policy.service.get(lang);
        let effective = new.policy.effective;
        let mut out = String::new();
        out.push_str(&match lang {
            Lang::Ko => format!("{service} 개인정보 처리방침이 다음과 같이 변경됩니다.\n\n"),
            Lang::En => format!("The {service} privacy policy is changing.\n\n"),
        });
        if let Some(a) = new.policy.announced {
            out.push_str(&pick(
                lang,
                &format!("공고일: {a}\n"),
                &format!("Announced: {a}\n"),
            ));
        }
        out.push_str(&pick(
            lang,
            &format!("시행일: {effective}\n"),
            &format!("Takes effect: {effective}\n"),
        ));
        out.push_str(&match lang {
            Lang::Ko => format!(
                "현행 방침(버전 {})은 {}까지 적용됩니다.\n\n주요 변경 내용\n",
                old.policy.version,
                day_before(effective)
            ),
            Lang::En => format!(
                "The current policy (version {}) applies until {}.\n\nWhat changes\n",
                old.policy.version,
                day_before(effective)
            ),
        });
        // Material changes first: they are the ones the reader must not miss.
        let mut ordered: Vec<&Change> = d.changes.iter().filter(|c| c.material).collect();
        ordered.extend(d.changes.iter().filter(|c| !c.material));
        for c in ordered {
            out.push_str(&format!(
                "- [{}] {}\n",
                weight(c, lang),
                plain(c.describe(lang))
            ));
        }
        if d.is_material() {
            out.push_str(&pick(
                lang,
                "\n이번 변경에는 수집 항목, 처리위탁, 보유 기간 등 정보주체의 권리에 중요한 변경이 포함되어 있습니다.\n",
                "\nThese changes include material ones: they concern what we collect, who processes it or how long we keep it.\n",
            ));
        }
        out.push_str(&match lang {
            Lang::Ko => format!(
                "\n변경된 개인정보 처리방침 전문: {}\n변경 전 방침: {}\n",
                self.public_url(&self.version_page(i, lang)),
                self.public_url(&self.version_page(i - 1, lang))
            ),
            Lang::En => format!(
                "\nThe new policy in full: {}\nThe policy before the change: {}\n",
                self.public_url(&self.version_page(i, lang)),
                self.public_url(&self.version_page(i - 1, lang))
            ),
        });
        let officer = &new.officer;
        let contact = [officer.email.clone(), officer.phone.clone()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
        let name = officer.name.get(lang);
        out.push_str(&match (lang, contact.is_empty()) {
            (Lang::Ko, false) => format!("문의: 개인정보 보호책임자 {name} ({contact})\n"),
            (Lang::Ko, true) => format!("문의: 개인정보 보호책임자 {name}\n"),
            (Lang::En, false) => format!("Questions: our privacy officer, {name} ({contact})\n"),
            (Lang::En, true) => format!("Questions: our privacy officer, {name}\n"),
        });
        out
    }

    /// The notice for the service's 공지사항: a title line, then the body.
    fn notice_text(&self, i: usize, d: &PolicyDiff, lang: Lang) -> String {
        let service = self.versions[i].policy.policy.service.get(lang);
        let title = match lang {
            Lang::Ko => format!("[공지] {service} 개인정보 처리방침 개정 안내"),
            Lang::En => format!("[Notice] Changes to the {service} privacy policy"),
        };
        format!("{title}\n\n{}", self.notice_body(i, d, lang))
    }

    /// The same notice as an e-mail: subject line, greeting, body, and why it is sent.
    fn email_text(&self, i: usize, d: &PolicyDiff, lang: Lang) -> String {
        let new = &self.versions[i].policy.policy;
        let service = new.service.get(lang);
        let (subject, greeting, why) = match lang {
            Lang::Ko => (
                format!("제목: [{service}] 개인정보 처리방침 개정 안내 (시행일 {})", new.effective),
                format!("안녕하세요, {service}입니다."),
                "본 메일은 개인정보 처리방침의 변경을 알려드리기 위한 안내 메일로, 광고성 정보 수신 동의 여부와 관계없이 발송됩니다.".to_string(),
            ),
            Lang::En => (
                format!("Subject: [{service}] Changes to our privacy policy (effective {})", new.effective),
                "Hello,".to_string(),
                "We send this e-mail to tell you about a change to our privacy policy; it is not advertising and goes to every member.".to_string(),
            ),
        };
        format!(
            "{subject}\n\n{greeting}\n\n{}\n{why}\n",
            self.notice_body(i, d, lang)
        )
    }
}

/// The policy as the site publishes it: without its waivers (notes about its own gaps) and its roles (who
/// inside the service may see what), the same sections the change pages leave out.
pub fn public_policy(policy: &Policy) -> Policy {
    let mut public = policy.clone();
    public.waivers.clear();
    public.roles.clear();
    public
}

fn changes_en(count: usize) -> String {
    if count == 1 {
        "1 change".to_string()
    } else {
        format!("{count} changes")
    }
}

/// The diff's descriptions quote keys in backticks for the terminal; a page shows them plain.
fn plain(description: &str) -> String {
    description.replace('`', "")
}

fn weight(change: &Change, lang: Lang) -> String {
    match (change.material, lang) {
        (true, Lang::Ko) => "중요".to_string(),
        (false, Lang::Ko) => "일반".to_string(),
        (true, Lang::En) => "material".to_string(),
        (false, Lang::En) => "ordinary".to_string(),
    }
}

/// The name of a diff section for readers (the diff names sections as the file does).
fn section_name(section: &str, lang: Lang) -> String {
    let (ko, en) = match section {
        "controller" => ("개인정보처리자", "Controller"),
        "officer" => ("개인정보 보호책임자", "Privacy officer"),
        "department" => ("열람청구 부서", "Request department"),
        "category" => ("처리 항목", "Items"),
        "purpose" => ("처리 목적", "Purposes"),
        "collection" => ("수집 시점", "Collection"),
        "subject" => ("정보주체 유형", "Data subjects"),
        "retention" => ("보유 기간", "Retention"),
        "third_party" => ("제3자 제공", "Third parties"),
        "processor" => ("처리위탁", "Processors"),
        "overseas_transfer" => ("국외 이전", "Transfers abroad"),
        "destruction" => ("파기", "Destruction"),
        "sensitive" => ("민감정보", "Sensitive data"),
        "pseudonymised" => ("가명정보", "Pseudonymised data"),
        "automatic_collection" => ("자동 수집 장치", "Cookies and automatic collection"),
        "rights" => ("정보주체의 권리", "Your rights"),
        "children" => ("아동의 개인정보", "Children"),
        "safety" => ("안전성 확보조치", "Safety measures"),
        "advertising" => ("광고성 정보 전송", "Advertising"),
        "ai" => ("AI 서비스", "AI services"),
        "remedies" => ("권익침해 구제방법", "Remedies"),
        "changes" => ("처리방침의 변경", "Policy changes"),
        other => (other, other),
    };
    pick(lang, ko, en)
}
