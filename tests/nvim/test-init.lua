-- A real editor against `qpol lsp`: Neovim's built-in LSP client, headless,
-- configured by the README's editors/qpol.lua and nothing else. Run by
-- .ci/lsp.sh from the repository's root:
--   QPOL_BIN=target/debug/qpol QPOL_NVIM_OUT=out.json nvim --headless -u tests/nvim/test-init.lua FILE
-- QPOL_BIN's folder goes first on PATH (qpol.lua starts `qpol lsp`), then
-- qpol.lua is loaded, then Neovim opens FILE. The test waits for FILE's
-- diagnostics, asks for a hover, a definition, the quick fixes of the
-- misspelt name, a formatting and a completion after `instances `, opens a
-- second file of the folder (it must share the client), writes what it
-- received to QPOL_NVIM_OUT as JSON and quits (exit 1 on any error; a
-- request the server does not advertise is recorded as "skipped: ...",
-- which .ci/lsp.sh rejects).
local out_path = assert(os.getenv('QPOL_NVIM_OUT'), 'QPOL_NVIM_OUT is not set')
local bin = os.getenv('QPOL_BIN')
if bin then
  vim.env.PATH = vim.fn.fnamemodify(bin, ':p:h') .. ':' .. vim.env.PATH
end
dofile('editors/qpol.lua')
local result = { nvim = tostring(vim.version().major) .. '.' .. tostring(vim.version().minor) }

local function finish(code)
  local file = assert(io.open(out_path, 'w'))
  file:write(vim.fn.json_encode(result))
  file:close()
  vim.cmd((code == 0) and 'qall!' or 'cquit!')
end

-- The qpol client attached to `buf` (0.7's buf_get_clients, 0.10's get_clients).
local function client_of(buf)
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ bufnr = buf, name = 'qpol' })[1]
  end
  for _, c in pairs(vim.lsp.buf_get_clients(buf)) do
    if c.name == 'qpol' then
      return c
    end
  end
end

local function qpol_clients()
  local all = vim.lsp.get_clients and vim.lsp.get_clients() or vim.lsp.get_active_clients()
  local n = 0
  for _, c in pairs(all) do
    if c.name == 'qpol' then
      n = n + 1
    end
  end
  return n
end

local function run()
  local buf = vim.api.nvim_get_current_buf()
  result.filetype = vim.bo[buf].filetype
  assert(vim.wait(10000, function() return client_of(buf) ~= nil end, 20), 'qpol.lua attached no client')
  local client = client_of(buf)
  local id = client.id
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
  local function position(line, character)
    return { textDocument = { uri = uri }, position = { line = line, character = character } }
  end
  -- Hover on the reference to QR-fin (line 3, 0-based 2); definition of
  -- `writer` on that line, declared in the other file, org.qpol.
  local line = vim.api.nvim_buf_get_lines(buf, 2, 3, false)[1]
  result.hover = ask('textDocument/hover', position(2, line:find('QR%-fin;')), 'hoverProvider')
  result.definition = ask('textDocument/definition', position(2, line:find('writer') - 1), 'definitionProvider')
  -- The quick fixes on `QR-comon` (line 4, 0-based 3).
  line = vim.api.nvim_buf_get_lines(buf, 3, 4, false)[1]
  local at = { line = 3, character = line:find('QR%-comon') }
  local actions = ask('textDocument/codeAction', {
    textDocument = { uri = uri },
    range = { start = at, ['end'] = at },
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
  -- Type `project x { instances ` on a new last line; ask what comes next.
  local typed = 'project x { instances '
  local last = vim.api.nvim_buf_line_count(buf)
  vim.api.nvim_buf_set_lines(buf, last, last, false, { typed })
  local completion = ask('textDocument/completion', position(last, #typed), 'completionProvider')
  result.completion = {}
  for _, item in ipairs(completion.items or completion) do
    table.insert(result.completion, item.label)
  end
  result.trigger_characters = (caps.completionProvider or {}).triggerCharacters
  -- A second file of the folder shares the client (one per folder).
  vim.o.hidden = true -- leave the edited buffer as it is
  vim.cmd('edit ' .. vim.fn.fnameescape(vim.fn.fnamemodify(vim.api.nvim_buf_get_name(buf), ':p:h') .. '/org.qpol'))
  local other = vim.api.nvim_get_current_buf()
  assert(other ~= buf, 'org.qpol did not open')
  assert(vim.wait(10000, function() return client_of(other) ~= nil end, 20), 'org.qpol got no client')
  result.same_client = client_of(other).id == id
  result.qpol_clients = qpol_clients()
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
