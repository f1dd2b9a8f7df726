//! What a role may do, from the policy's `[[role]]` table. Anything not granted is denied.

use vow_policy::model::Role;
use vow_policy::validate::pattern_matches;

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
    pub fn is_admin(&self) -> bool {
        self.role.admin
    }
}

fn any_match(patterns: &[String], category: &str) -> bool {
    patterns.iter().any(|p| pattern_matches(p, category))
}
