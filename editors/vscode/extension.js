// VS Code: start `qpol lsp` for `*.qpol` files (vscode-languageclient).
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration('qpol').get('path', 'qpol');
  client = new LanguageClient(
    'qpol',
    'qpol',
    { command, args: ['lsp'] },
    { documentSelector: [{ scheme: 'file', language: 'qpol' }, { scheme: 'untitled', language: 'qpol' }] }
  );
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
