" Vim indent file for qnn: braces and statements are C-like.
if exists('b:did_indent')
  finish
endif
let b:did_indent = 1

setlocal cindent cinkeys-=0# cinoptions=(s,m1
let b:undo_indent = 'setlocal cindent< cinkeys< cinoptions<'
