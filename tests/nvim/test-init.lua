-- A real editor against `qpol lsp`: Neovim's built-in LSP client, headless.
-- Run by .ci/lsp.sh:
--   QPOL_BIN=target/debug/qpol QPOL_NVIM_OUT=out.json nvim --headless -u tests/nvim/test-init.lua FILE
-- Starts the client on FILE, waits for its diagnostics, asks for a hover and
-- a definition, the quick fixes of the misspelt name and a formatting, writes
-- what it received to QPOL_NVIM_OUT as JSON and quits (exit 1 on any error;
-- a request the server does not advertise is recorded as "skipped: ...",
-- which .ci/lsp.sh rejects).
local out_path = assert(os.getenv('QPOL_NVIM_OUT'), 'QPOL_NVIM_OUT is not set')
local bin = os.getenv('QPOL_BIN') or 'qpol'
local result = { nvim = tostring(vim.version().major) .. '.' .. tostring(vim.version().minor) }

local function finish(code)
  local file = assert(io.open(out_path, 'w'))
  file:write(vim.fn.json_encode(result))
  file:close()
  vim.cmd((code == 0) and 'qall!' or 'cquit!')
end

local function run()
  local buf = vim.api.nvim_get_current_buf()
  local name = vim.api.nvim_buf_get_name(buf)
  vim.bo[buf].filetype = 'qpol'
  local config = { name = 'qpol', cmd = { bin, 'lsp' }, root_dir = vim.fn.fnamemodify(name, ':h') }
  local id
  if vim.lsp.start then
    id = vim.lsp.start(config)
  else -- Neovim 0.7
    id = vim.lsp.start_client(config)
    vim.lsp.buf_attach_client(buf, id)
  end
  assert(id, 'the client did not start')
  local client = vim.lsp.get_client_by_id(id)
  assert(vim.wait(20000, function() return #vim.diagnostic.get(buf) >= 2 end, 20), 'no diagnostics within 20 s')
  result.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    table.insert(result.diagnostics, {
      code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code),
      severity = d.severity, lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col,
      message = d.message,
    })
  end
  table.sort(result.diagnostics, function(a, b) return a.lnum < b.lnum end)
  local caps = client.server_capabilities or client.resolved_capabilities or {}
  local uri = vim.uri_from_bufnr(buf)
  -- `QR-mll` on line 6 (0-based 5), character 25.
  local at = { textDocument = { uri = uri }, position = { line = 5, character = 25 } }
  local function ask(method, params, capability)
    if not caps[capability] then
      return 'skipped: the server does not offer ' .. capability
    end
    local responses, err = vim.lsp.buf_request_sync(buf, method, params, 10000)
    assert(responses, method .. ': ' .. tostring(err))
    local response = responses[id] or {}
    assert(not response.error, method .. ': ' .. vim.inspect(response.error))
    return response.result or vim.NIL
  end
  -- On the reference to QR-ml in project ml (line 4, 0-based 3), for hover and definition.
  local decl = { textDocument = { uri = uri }, position = { line = 3, character = 24 } }
  result.hover = ask('textDocument/hover', decl, 'hoverProvider')
  result.definition = ask('textDocument/definition', decl, 'definitionProvider')
  local actions = ask('textDocument/codeAction', {
    textDocument = { uri = uri },
    range = { start = at.position, ['end'] = at.position },
    context = { diagnostics = {} },
  }, 'codeActionProvider')
  result.code_actions = {}
  for _, a in ipairs(actions) do
    table.insert(result.code_actions, a.title)
  end
  local edits = ask('textDocument/formatting', {
    textDocument = { uri = uri },
    options = { tabSize = 2, insertSpaces = true },
  }, 'documentFormattingProvider')
  vim.lsp.util.apply_text_edits(edits, buf, client.offset_encoding or 'utf-16')
  result.formatted = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n') .. '\n'
  vim.lsp.stop_client(id)
  vim.wait(5000, function() return vim.lsp.get_client_by_id(id) == nil end, 20)
end

vim.schedule(function()
  local ok, err = pcall(run)
  if not ok then
    result.error = tostring(err)
    finish(1)
  else
    finish(0)
  end
end)
