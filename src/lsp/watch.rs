//! Files changed on disk behind the editor's back (`git checkout`, `qpol
//! fmt`, another editor): when the client can register file watchers
//! dynamically, the server asks it to watch `**/*.qpol`, and a
//! `workspace/didChangeWatchedFiles` re-analyses every open policy a
//! changed, created or deleted file belongs to, as an edit would.

use super::documents::PolicyKey;
use super::Server;
use lsp_server::{Message, Request, RequestId};
use lsp_types::notification::{DidChangeWatchedFiles, Notification as _};
use lsp_types::request::{RegisterCapability, Request as _};
use lsp_types::{
    DidChangeWatchedFilesParams, DidChangeWatchedFilesRegistrationOptions, FileSystemWatcher,
    GlobPattern, Registration, RegistrationParams,
};
use std::collections::BTreeSet;

/// The id of the registration request (the client's answer is not needed).
pub const REGISTRATION: &str = "qpol/watch-qpol-files";

/// Whether the client registers file watchers for the server
/// (`workspace.didChangeWatchedFiles.dynamicRegistration` in the
/// `initialize` params).
pub fn client_can_watch(initialize: &serde_json::Value) -> bool {
    initialize
        .pointer("/capabilities/workspace/didChangeWatchedFiles/dynamicRegistration")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false)
}

/// The `client/registerCapability` request that watches `**/*.qpol`.
pub fn registration() -> Message {
    let options = DidChangeWatchedFilesRegistrationOptions {
        watchers: vec![FileSystemWatcher {
            glob_pattern: GlobPattern::String("**/*.qpol".to_string()),
            kind: None,
        }],
    };
    let params = RegistrationParams {
        registrations: vec![Registration {
            id: REGISTRATION.to_string(),
            method: DidChangeWatchedFiles::METHOD.to_string(),
            register_options: serde_json::to_value(options).ok(),
        }],
    };
    Message::Request(Request::new(
        RequestId::from(REGISTRATION.to_string()),
        RegisterCapability::METHOD.to_string(),
        params,
    ))
}

impl Server {
    /// `workspace/didChangeWatchedFiles`: analyse again each open policy
    /// (one with an open buffer) that a changed file belongs to.
    pub(super) fn files_changed(&mut self, params: DidChangeWatchedFilesParams) {
        let open: BTreeSet<PolicyKey> = self.documents.keys().into_iter().collect();
        let touched: BTreeSet<PolicyKey> = params
            .changes
            .iter()
            .map(|change| self.documents.key(&change.uri))
            .filter(|key| open.contains(key))
            .collect();
        for key in touched {
            self.schedule(key);
        }
    }
}
