//! Reconciliation against a live account with the ETags read ahead
//! ([`reconcile`]): [`super::reconcile`] asks the ETag of each object the
//! plan updates or deletes, one at a time, so a plan that changes hundreds
//! of objects would wait for hundreds of reads in a row. What it asks
//! depends on the snapshot, not on the answers: a first pass only collects
//! the URLs, [`super::read::etags`] reads them in parallel, and the second
//! pass is answered from those (a URL not read ahead, after a failure, is
//! read then, as before).

use super::account::Account;
use super::http::Client;
use super::read;
use super::reconcile::{self, Allows, EtagError, Reconciled};
use crate::backends::deployment::Deployment;
use std::collections::BTreeSet;

/// The plan that makes `account` (read with `client`) match `deployment`.
pub fn reconcile(
    client: &Client,
    deployment: &Deployment,
    account: &Account,
    allows: &Allows,
) -> Result<Reconciled, reconcile::Error> {
    let mut asked = BTreeSet::new();
    // Its error, if any, is the second pass's too.
    let _ = reconcile::reconcile(deployment, account, allows, &mut |url| {
        asked.insert(url.to_string());
        Ok(None)
    });
    let read_ahead = read::etags(client, &asked);
    let mut etags = |url: &str| {
        match read_ahead.get(url) {
            Some(tag) => tag.clone(),
            None => read::etag(client, url),
        }
        .map_err(|e| Box::new(e) as EtagError)
    };
    reconcile::reconcile(deployment, account, allows, &mut etags)
}
