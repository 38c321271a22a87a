//! The plan's people: users named by email looked up once each, and the
//! static members of each access group, put in one request per group.

use super::{request, Builder, Refs, IAM, USER_MANAGEMENT};
use crate::backends::deployment::{Deployment, ServiceMember};
use crate::backends::ibm_api::bodies::{Body, Member, MembersBody};
use crate::backends::ibm_api::text::{escape, jsonpath_quoted, url_value, Text};
use crate::backends::names::{self, Namespace};
use std::collections::{BTreeMap, BTreeSet};

/// Every email among the access groups' static members, with the key of
/// the request that looks it up (`user.KEY`): the members requests name
/// these keys, which depend on every email of the deployment.
pub fn user_keys(d: &Deployment) -> BTreeMap<&str, String> {
    let emails: BTreeSet<&str> = d
        .access_groups
        .iter()
        .flat_map(|g| &g.users)
        .filter(|u| u.contains('@'))
        .map(String::as_str)
        .collect();
    let mut ids = Namespace::new("_", None);
    emails
        .into_iter()
        .map(|email| (email, ids.claim(&names::terraform_name(email))))
        .collect()
}

impl<'d> Builder<'d> {
    /// People named by email: their IAM ids, looked up among the account's
    /// users once each (as the Terraform provider resolves `ibm_ids`); the
    /// search is a substring match, so the JSONPath keeps the exact email.
    pub(super) fn users(&mut self) -> BTreeMap<&'d str, u32> {
        let account = self.account.in_url().into_owned();
        let mut positions = BTreeMap::new();
        for (email, key) in user_keys(self.d) {
            let position = self.push(
                request(
                    format!("user.{key}"),
                    "GET",
                    format!(
                        "{USER_MANAGEMENT}/v2/accounts/{account}/users?search={}",
                        url_value(&format!("email:{email}"))
                    ),
                )
                .yields(
                    "iam_id",
                    format!(
                        "$.resources[?(@.email=='{}')].iam_id",
                        escape(&jsonpath_quoted(email))
                    ),
                ),
            );
            positions.insert(email, position);
        }
        positions
    }

    /// The static members of a group, users and service ids, in one request.
    pub(super) fn members(
        &mut self,
        g: &'d crate::backends::deployment::AccessGroup,
        group: u32,
        group_id: &str,
        refs: &Refs<'d>,
    ) {
        let mut members = Vec::with_capacity(g.users.len() + g.service_ids.len());
        let mut after = vec![Some(group)];
        for user in &g.users {
            let iam_id = match refs.users.get(user.as_str()) {
                Some(&position) => {
                    after.push(Some(position));
                    Text::raw(self.yielded(Some(position), "iam_id"))
                }
                None => Text::lit(user),
            };
            members.push(Member {
                iam_id,
                kind: "user",
            });
        }
        for s in &g.service_ids {
            let iam_id = match s {
                ServiceMember::Created(i) => {
                    let Some(&position) = refs.service_ids.get(*i) else {
                        continue;
                    };
                    after.push(Some(position));
                    Text::raw(self.yielded(Some(position), "iam_id"))
                }
                ServiceMember::IamId(id) => Text::lit(id),
            };
            members.push(Member {
                iam_id,
                kind: "service",
            });
        }
        if !members.is_empty() {
            self.push(
                request(
                    format!("members.{}", g.key),
                    "PUT",
                    format!("{IAM}/v2/groups/{group_id}/members"),
                )
                .body(Body::Members(MembersBody { members }))
                .after(after),
            );
        }
    }
}
