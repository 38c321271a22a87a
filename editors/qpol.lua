-- qpol for Neovim 0.7 or later: `*.qpol` files get the `qpol` filetype and
-- the `qpol lsp` language server, one per folder (a folder of `*.qpol`
-- files is one policy). Put this file in ~/.config/nvim/plugin/, or its
-- lines in init.lua; `qpol` must be on PATH.
if vim.fn.has('nvim-0.8') == 1 then
  vim.filetype.add({ extension = { qpol = 'qpol' } })
else -- 0.7 reads vim.filetype.add only with g:do_filetype_lua set
  vim.api.nvim_create_autocmd({ 'BufRead', 'BufNewFile' }, { pattern = '*.qpol', command = 'setfiletype qpol' })
end
local qpol_clients = {} -- folder -> client id, where vim.lsp.start is missing (0.7)
vim.api.nvim_create_autocmd('FileType', {
  pattern = 'qpol',
  callback = function(args)
    vim.bo[args.buf].commentstring = '# %s'
    local root = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(args.buf), ':p:h')
    local config = { name = 'qpol', cmd = { 'qpol', 'lsp' }, root_dir = root }
    if vim.lsp.start then -- 0.8+: reuses the client of the same name and root
      vim.lsp.start(config, { bufnr = args.buf })
      return
    end
    local id = qpol_clients[root]
    local client = id and vim.lsp.get_client_by_id(id)
    if not client or client.is_stopped() then
      id = vim.lsp.start_client(config)
      qpol_clients[root] = id
    end
    if id then
      vim.lsp.buf_attach_client(args.buf, id)
    end
  end,
})
-- Format on save (optional; 0.8+):
-- vim.api.nvim_create_autocmd('BufWritePre', { pattern = '*.qpol', callback = function() vim.lsp.buf.format() end })
