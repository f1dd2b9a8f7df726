//! Which kinds of personal data (vow-pii's entities) a policy category stands for.
//!
//! A processor is declared for categories (`user.contact.phone`), while the scanner finds kinds
//! (`KR_PHONE`). The table here joins them by the words in the category's key, so a processor
//! declared for `user.contact.phone` may receive phone numbers and nothing else the scanner knows.
//! Categories of content (`user.content.prompt`) stand for no kind: a prompt may be sent, the
//! phone number typed into it may not, unless the phone category is declared too.
//!
//! Content the proxy cannot read inside (images, audio, video, documents such as PDFs) is joined to
//! categories the same way, by [`Media`]: a processor declared for `user.account.profile_photo` may
//! receive images, one declared for `user.content.upload` any file a user uploads, one declared only
//! for `user.content.prompt` none.

use vow_pii::Entity;

/// A kind of content the proxy passes or refuses whole, because it cannot read inside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Media {
    Image,
    Audio,
    Video,
    /// PDFs, office files, archives: any other file.
    Document,
}

impl Media {
    /// Every kind.
    pub const ALL: [Media; 4] = [Media::Image, Media::Audio, Media::Video, Media::Document];

    /// The name used in errors, headers, records and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Media::Image => "image",
            Media::Audio => "audio",
            Media::Video => "video",
            Media::Document => "document",
        }
    }
}

/// The words of a category key that stand for content the proxy cannot read, and its kinds. An upload
/// or attachment category stands for any file a user gives, so for every kind.
const MEDIA_WORDS: &[(&str, &[Media])] = &[
    ("image", &[Media::Image]),
    ("images", &[Media::Image]),
    ("photo", &[Media::Image]),
    ("photos", &[Media::Image]),
    ("picture", &[Media::Image]),
    ("pictures", &[Media::Image]),
    ("avatar", &[Media::Image]),
    ("screenshot", &[Media::Image]),
    ("audio", &[Media::Audio]),
    ("voice", &[Media::Audio]),
    ("speech", &[Media::Audio]),
    ("video", &[Media::Video]),
    ("videos", &[Media::Video]),
    ("document", &[Media::Document]),
    ("documents", &[Media::Document]),
    ("file", &[Media::Document]),
    ("files", &[Media::Document]),
    ("pdf", &[Media::Document]),
    ("upload", &Media::ALL),
    ("uploads", &Media::ALL),
    ("attachment", &Media::ALL),
    ("attachments", &Media::ALL),
    ("media", &Media::ALL),
];

/// The kinds of unreadable content a category stands for, by the words of its key.
pub fn media_of(category: &str) -> Vec<Media> {
    let lower = category.to_ascii_lowercase();
    let mut kinds: Vec<Media> = lower
        .split(['.', '_', '-'])
        .flat_map(|word| {
            MEDIA_WORDS
                .iter()
                .filter(move |(w, _)| *w == word)
                .flat_map(|(_, m)| m.iter().copied())
        })
        .collect();
    kinds.sort();
    kinds.dedup();
    kinds
}

/// The kinds of unreadable content a processor declared for `categories` may receive.
pub fn declared_media<'a>(categories: impl IntoIterator<Item = &'a str>) -> Vec<Media> {
    let mut kinds: Vec<Media> = categories.into_iter().flat_map(media_of).collect();
    kinds.sort();
    kinds.dedup();
    kinds
}

/// The words of a category key (split on `.` and `_`) and the kinds each stands for.
const WORDS: &[(&str, &[Entity])] = &[
    ("email", &[Entity::Email]),
    ("mail", &[Entity::Email]),
    ("phone", &[Entity::KrPhone, Entity::Phone]),
    ("mobile", &[Entity::KrPhone, Entity::Phone]),
    ("tel", &[Entity::KrPhone, Entity::Phone]),
    ("name", &[Entity::Person]),
    ("resident", &[Entity::KrRrn]),
    ("rrn", &[Entity::KrRrn]),
    ("foreigner", &[Entity::KrFrn]),
    ("frn", &[Entity::KrFrn]),
    ("passport", &[Entity::KrPassport]),
    ("driver", &[Entity::KrDriverLicense]),
    ("license", &[Entity::KrDriverLicense]),
    ("licence", &[Entity::KrDriverLicense]),
    ("brn", &[Entity::KrBrn]),
    ("business", &[Entity::KrBrn]),
    ("bank", &[Entity::KrBankAccount, Entity::Iban]),
    ("iban", &[Entity::Iban]),
    ("insurance", &[Entity::KrHealthInsurance]),
    ("card", &[Entity::CreditCard]),
    ("payment", &[Entity::CreditCard]),
    ("ssn", &[Entity::UsSsn]),
    ("credential", &[Entity::Secret]),
    ("password", &[Entity::Secret]),
    ("secret", &[Entity::Secret]),
    ("token", &[Entity::Secret]),
    ("ip", &[Entity::IpAddress]),
];

/// The kinds a category stands for, by the words of its key. `user.device.ip_address` is an IP
/// address, not a postal one; `user.contact.address` and `user.address` are postal addresses.
pub fn kinds_of(category: &str) -> Vec<Entity> {
    let lower = category.to_ascii_lowercase();
    let words: Vec<&str> = lower.split(['.', '_', '-']).collect();
    let mut kinds = Vec::new();
    for word in &words {
        for (w, entities) in WORDS {
            if word == w {
                kinds.extend_from_slice(entities);
            }
        }
    }
    if words.contains(&"address") && !words.contains(&"ip") && !words.contains(&"email") {
        kinds.push(Entity::Address);
    }
    kinds.sort();
    kinds.dedup();
    kinds
}

/// The kinds a processor declared for `categories` may receive.
pub fn declared_kinds<'a>(categories: impl IntoIterator<Item = &'a str>) -> Vec<Entity> {
    let mut kinds: Vec<Entity> = categories.into_iter().flat_map(kinds_of).collect();
    kinds.sort();
    kinds.dedup();
    kinds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_stand_for_the_kinds_their_keys_name() {
        assert_eq!(kinds_of("user.contact.email"), vec![Entity::Email]);
        assert_eq!(
            kinds_of("user.contact.phone"),
            vec![Entity::KrPhone, Entity::Phone]
        );
        assert_eq!(kinds_of("user.device.ip_address"), vec![Entity::IpAddress]);
        assert_eq!(kinds_of("user.contact.address"), vec![Entity::Address]);
        assert_eq!(kinds_of("user.name"), vec![Entity::Person]);
        assert!(kinds_of("user.content.prompt").is_empty());
        assert!(kinds_of("user.content.chat_log").is_empty());
    }

    #[test]
    fn image_upload_and_document_categories_stand_for_the_content_they_name() {
        assert_eq!(media_of("user.account.profile_photo"), vec![Media::Image]);
        assert_eq!(media_of("user.content.generated_image"), vec![Media::Image]);
        assert_eq!(media_of("user.content.voice_note"), vec![Media::Audio]);
        assert_eq!(media_of("user.content.document"), vec![Media::Document]);
        assert_eq!(media_of("user.content.upload"), Media::ALL.to_vec());
        assert!(media_of("user.content.prompt").is_empty());
        // A profile is not a file.
        assert!(media_of("user.account.profile").is_empty());
        assert_eq!(
            declared_media(["user.content.prompt", "user.account.profile_photo"]),
            vec![Media::Image]
        );
    }
}
