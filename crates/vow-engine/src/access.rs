//! What a role may do, from the policy's `[[role]]` table. Anything not granted is denied.

use vow_policy::model::Role;
use vow_policy::validate::pattern_matches;

/// Lookups per minute per key when the role does not say.
pub const DEFAULT_LOOKUPS_PER_MINUTE: u32 = 60;

/// One role's grants.
#[derive(Clone, Copy, Debug)]
pub struct Grants<'p> {
    role: &'p Role,
}

impl<'p> Grants<'p> {
    pub fn new(role: &'p Role) -> Grants<'p> {
        Grants { role }
    }
    pub fn role(&self) -> &'p str {
        self.role.key.as_str()
    }
    pub fn may_read(&self, category: &str) -> bool {
        any_match(&self.role.read, category) || self.may_see_in_full(category)
    }
    pub fn may_see_in_full(&self, category: &str) -> bool {
        any_match(&self.role.full_view, category)
    }
    /// Finding subjects by a value is a grant of its own: a role that may only see a value masked
    /// could otherwise guess it through lookups. Without a `lookup` list, the categories the role sees
    /// in full.
    pub fn may_lookup(&self, category: &str) -> bool {
        match &self.role.lookup {
            Some(patterns) => any_match(patterns, category),
            None => self.may_see_in_full(category),
        }
    }
    /// Lookups one key may make per minute.
    pub fn lookups_per_minute(&self) -> u32 {
        self.role
            .lookups_per_minute
            .unwrap_or(DEFAULT_LOOKUPS_PER_MINUTE)
    }
    pub fn may_write(&self, category: &str) -> bool {
        any_match(&self.role.write, category)
    }
    /// Creating a subject is part of writing their data: any write grant allows it.
    pub fn may_create_subjects(&self) -> bool {
        !self.role.write.is_empty()
    }
    pub fn may_erase(&self) -> bool {
        self.role.erase
    }
    pub fn may_export(&self) -> bool {
        self.role.export
    }
    /// Recording and reading consents, the advertising gate and the operator lists.
    pub fn may_handle_consents(&self) -> bool {
        self.role.consents
    }
    /// Reading separated storage (분리보관).
    pub fn may_read_separated(&self) -> bool {
        self.role.separated
    }
    /// Handling rights requests and reading the destruction ledger.
    pub fn may_handle_requests(&self) -> bool {
        self.role.requests
    }
    pub fn is_admin(&self) -> bool {
        self.role.admin
    }
}

fn any_match(patterns: &[String], category: &str) -> bool {
    patterns.iter().any(|p| pattern_matches(p, category))
}
