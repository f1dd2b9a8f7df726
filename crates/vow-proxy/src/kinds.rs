//! Which kinds of personal data (vow-pii's entities) a policy category stands for.
//!
//! A processor is declared for categories (`user.contact.phone`), while the scanner finds kinds
//! (`KR_PHONE`). The table here joins them by the words in the category's key, so a processor
//! declared for `user.contact.phone` may receive phone numbers and nothing else the scanner knows.
//! Categories of content (`user.content.prompt`) stand for no kind: a prompt may be sent, the
//! phone number typed into it may not, unless the phone category is declared too.

use vow_pii::Entity;

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
}
