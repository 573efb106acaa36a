/* A Bison parser, made by GNU Bison 3.8.2.  */

/* Bison interface for Yacc-like parsers in C

   Copyright (C) 1984, 1989-1990, 2000-2015, 2018-2021 Free Software Foundation,
   Inc.

   This program is free software: you can redistribute it and/or modify
   it under the terms of the GNU General Public License as published by
   the Free Software Foundation, either version 3 of the License, or
   (at your option) any later version.

   This program is distributed in the hope that it will be useful,
   but WITHOUT ANY WARRANTY; without even the implied warranty of
   MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
   GNU General Public License for more details.

   You should have received a copy of the GNU General Public License
   along with this program.  If not, see <https://www.gnu.org/licenses/>.  */

/* As a special exception, you may create a larger work that contains
   part or all of the Bison parser skeleton and distribute that work
   under terms of your choice, so long as that work isn't itself a
   parser generator using the skeleton or a modified version thereof
   as a parser skeleton.  Alternatively, if you modify or redistribute
   the parser skeleton itself, you may (at your option) remove this
   special exception, which will cause the skeleton and the resulting
   Bison output files to be licensed under the GNU General Public
   License without this special exception.

   This special exception was added by the Free Software Foundation in
   version 2.2 of Bison.  */

/* DO NOT RELY ON FEATURES THAT ARE NOT DOCUMENTED in the manual,
   especially those whose name start with YY_ or yy_.  They are
   private implementation details that can be changed or removed.  */

#ifndef YY_YY_BUILD_OLD_GEN_PARSER_H_INCLUDED
# define YY_YY_BUILD_OLD_GEN_PARSER_H_INCLUDED
/* Debug traces.  */
#ifndef YYDEBUG
# define YYDEBUG 0
#endif
#if YYDEBUG
extern int yydebug;
#endif
/* "%code requires" blocks.  */
#line 11 "compiler/parser.y"

#include "ast.h"
#include "diag.h"
typedef void *yyscan_t;
#define YYLLOC_DEFAULT(Cur, Rhs, N)                                   \
    do {                                                              \
        if (N) (Cur) = ast_span(YYRHSLOC(Rhs, 1), YYRHSLOC(Rhs, N));  \
        else { (Cur) = YYRHSLOC(Rhs, 0); (Cur).len = 0; }             \
    } while (0)

#line 60 "build-old/gen/parser.h"

/* Token kinds.  */
#ifndef YYTOKENTYPE
# define YYTOKENTYPE
  enum yytokentype
  {
    YYEMPTY = -2,
    YYEOF = 0,                     /* "end of file"  */
    YYerror = 256,                 /* error  */
    YYUNDEF = 257,                 /* "invalid token"  */
    START_PROGRAM = 258,           /* START_PROGRAM  */
    START_EXPR = 259,              /* START_EXPR  */
    IMPORT = 260,                  /* "`import`"  */
    GATE = 261,                    /* "`gate`"  */
    CIRCUIT = 262,                 /* "`circuit`"  */
    MODEL = 263,                   /* "`model`"  */
    EXPERIMENT = 264,              /* "`experiment`"  */
    QUBITS = 265,                  /* "`qubits`"  */
    INPUT = 266,                   /* "`input`"  */
    PARAM = 267,                   /* "`param`"  */
    INIT = 268,                    /* "`init`"  */
    LET = 269,                     /* "`let`"  */
    FOR = 270,                     /* "`for`"  */
    IN = 271,                      /* "`in`"  */
    REPEAT = 272,                  /* "`repeat`"  */
    AS = 273,                      /* "`as`"  */
    IF = 274,                      /* "`if`"  */
    ELSE = 275,                    /* "`else`"  */
    EXPVAL = 276,                  /* "`expval`"  */
    QUANTUM = 277,                 /* "`quantum`"  */
    INT_KW = 278,                  /* "`int`"  */
    FLOAT_KW = 279,                /* "`float`"  */
    DOTDOT = 280,                  /* "`..`"  */
    EQ = 281,                      /* "`==`"  */
    NE = 282,                      /* "`!=`"  */
    LE = 283,                      /* "`<=`"  */
    GE = 284,                      /* "`>=`"  */
    AND = 285,                     /* "`&&`"  */
    OR = 286,                      /* "`||`"  */
    POW = 287,                     /* "`**`"  */
    INTEGER = 288,                 /* "integer"  */
    REAL = 289,                    /* "number"  */
    IDENT = 290,                   /* "name"  */
    STRING = 291,                  /* "string"  */
    UMINUS = 292                   /* UMINUS  */
  };
  typedef enum yytokentype yytoken_kind_t;
#endif

/* Value type.  */
#if ! defined YYSTYPE && ! defined YYSTYPE_IS_DECLARED
union YYSTYPE
{
#line 38 "compiler/parser.y"

    long long ival;
    double num;
    const char *str;
    ast_node *node;
    ast_list list;

#line 122 "build-old/gen/parser.h"

};
typedef union YYSTYPE YYSTYPE;
# define YYSTYPE_IS_TRIVIAL 1
# define YYSTYPE_IS_DECLARED 1
#endif

/* Location type.  */
typedef src_loc YYLTYPE;




int yyparse (yyscan_t scanner);

/* "%code provides" blocks.  */
#line 22 "compiler/parser.y"

int qnn_lex(YYSTYPE *lval, YYLTYPE *lloc, yyscan_t scanner);

#line 143 "build-old/gen/parser.h"

#endif /* !YY_YY_BUILD_OLD_GEN_PARSER_H_INCLUDED  */
