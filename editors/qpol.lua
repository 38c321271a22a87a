-- Neovim (0.8 or later): `*.qpol` files get the `qpol` filetype and the
-- `qpol lsp` language server, rooted at the file's folder (a folder of
-- `*.qpol` files is one policy). Put this in init.lua, or in
-- ~/.config/nvim/plugin/qpol.lua.
vim.filetype.add({ extension = { qpol = 'qpol' } })
vim.api.nvim_create_autocmd('FileType', {
  pattern = 'qpol',
  callback = function(args)
    vim.bo[args.buf].commentstring = '# %s'
    vim.lsp.start({
      name = 'qpol',
      cmd = { 'qpol', 'lsp' },
      root_dir = vim.fs.dirname(vim.api.nvim_buf_get_name(args.buf)),
    })
  end,
})
-- Format on save (optional):
-- vim.api.nvim_create_autocmd('BufWritePre', { pattern = '*.qpol', callback = function() vim.lsp.buf.format() end })
