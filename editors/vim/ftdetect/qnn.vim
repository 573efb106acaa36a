" qnn source files (editors/README.md)
autocmd BufRead,BufNewFile *.qnn setfiletype qnn
