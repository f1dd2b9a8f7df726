//! Attempts the vault refused, in the access log: an authenticated caller answered 403 is written as
//! a `denied` entry naming the route it tried (`GET /v1/subjects/{id}/export`), so the monthly
//! review can list, per key, what each one tried and was not allowed (안전성 확보조치 기준 제8조
//! asks the access records to be reviewed for exactly that kind of sign).

use vow_audit::Action;
use vow_store::{AuditOp, Outcome, Request};

use crate::vault::{unexpected, Caller, Vault, VaultError};

/// Longest route text kept: a method and a route template, never a concrete path.
const MAX_ROUTE_BYTES: usize = 200;

impl Vault {
    /// Writes that `caller` was refused at `route` — a method and the route's template, such as
    /// `GET /v1/subjects/{id}/items/{category}`: never a concrete path or query, which could hold a
    /// value. The caller's stated reason is kept, as for any entry.
    pub async fn record_denial(&self, caller: &Caller, route: &str) -> Result<(), VaultError> {
        let mut route = route.to_string();
        if route.len() > MAX_ROUTE_BYTES {
            let mut end = MAX_ROUTE_BYTES;
            while !route.is_char_boundary(end) {
                end -= 1;
            }
            route.truncate(end);
        }
        let entry = self.entry(caller, Action::Denied, None, &[route.as_str()]);
        match self
            .store
            .apply(Request::logged(AuditOp::LogOnly, entry))
            .await?
        {
            Outcome::Done => Ok(()),
            other => Err(unexpected(other)),
        }
    }
}
