/* A Bison parser, made by GNU Bison 3.8.2.  */

/* Bison implementation for Yacc-like parsers in C

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

/* C LALR(1) parser skeleton written by Richard Stallman, by
   simplifying the original so-called "semantic" parser.  */

/* DO NOT RELY ON FEATURES THAT ARE NOT DOCUMENTED in the manual,
   especially those whose name start with YY_ or yy_.  They are
   private implementation details that can be changed or removed.  */

/* All symbols defined below should begin with yy or YY, to avoid
   infringing on user name space.  This should be done even for local
   variables, as they might otherwise be expanded by user macros.
   There are some unavoidable exceptions within include files to
   define necessary library symbols; they are noted "INFRINGES ON
   USER NAME SPACE" below.  */

/* Identify Bison output, and Bison version.  */
#define YYBISON 30802

/* Bison version string.  */
#define YYBISON_VERSION "3.8.2"

/* Skeleton name.  */
#define YYSKELETON_NAME "yacc.c"

/* Pure parsers.  */
#define YYPURE 2

/* Push parsers.  */
#define YYPUSH 0

/* Pull parsers.  */
#define YYPULL 1





# ifndef YY_CAST
#  ifdef __cplusplus
#   define YY_CAST(Type, Val) static_cast<Type> (Val)
#   define YY_REINTERPRET_CAST(Type, Val) reinterpret_cast<Type> (Val)
#  else
#   define YY_CAST(Type, Val) ((Type) (Val))
#   define YY_REINTERPRET_CAST(Type, Val) ((Type) (Val))
#  endif
# endif
# ifndef YY_NULLPTR
#  if defined __cplusplus
#   if 201103L <= __cplusplus
#    define YY_NULLPTR nullptr
#   else
#    define YY_NULLPTR 0
#   endif
#  else
#   define YY_NULLPTR ((void*)0)
#  endif
# endif

#include "parser.h"
/* Symbol kind.  */
enum yysymbol_kind_t
{
  YYSYMBOL_YYEMPTY = -2,
  YYSYMBOL_YYEOF = 0,                      /* "end of file"  */
  YYSYMBOL_YYerror = 1,                    /* error  */
  YYSYMBOL_YYUNDEF = 2,                    /* "invalid token"  */
  YYSYMBOL_START_PROGRAM = 3,              /* START_PROGRAM  */
  YYSYMBOL_START_EXPR = 4,                 /* START_EXPR  */
  YYSYMBOL_IMPORT = 5,                     /* "`import`"  */
  YYSYMBOL_GATE = 6,                       /* "`gate`"  */
  YYSYMBOL_CIRCUIT = 7,                    /* "`circuit`"  */
  YYSYMBOL_MODEL = 8,                      /* "`model`"  */
  YYSYMBOL_EXPERIMENT = 9,                 /* "`experiment`"  */
  YYSYMBOL_QUBITS = 10,                    /* "`qubits`"  */
  YYSYMBOL_INPUT = 11,                     /* "`input`"  */
  YYSYMBOL_PARAM = 12,                     /* "`param`"  */
  YYSYMBOL_INIT = 13,                      /* "`init`"  */
  YYSYMBOL_LET = 14,                       /* "`let`"  */
  YYSYMBOL_FOR = 15,                       /* "`for`"  */
  YYSYMBOL_IN = 16,                        /* "`in`"  */
  YYSYMBOL_REPEAT = 17,                    /* "`repeat`"  */
  YYSYMBOL_AS = 18,                        /* "`as`"  */
  YYSYMBOL_IF = 19,                        /* "`if`"  */
  YYSYMBOL_ELSE = 20,                      /* "`else`"  */
  YYSYMBOL_EXPVAL = 21,                    /* "`expval`"  */
  YYSYMBOL_QUANTUM = 22,                   /* "`quantum`"  */
  YYSYMBOL_INT_KW = 23,                    /* "`int`"  */
  YYSYMBOL_FLOAT_KW = 24,                  /* "`float`"  */
  YYSYMBOL_DOTDOT = 25,                    /* "`..`"  */
  YYSYMBOL_EQ = 26,                        /* "`==`"  */
  YYSYMBOL_NE = 27,                        /* "`!=`"  */
  YYSYMBOL_LE = 28,                        /* "`<=`"  */
  YYSYMBOL_GE = 29,                        /* "`>=`"  */
  YYSYMBOL_AND = 30,                       /* "`&&`"  */
  YYSYMBOL_OR = 31,                        /* "`||`"  */
  YYSYMBOL_POW = 32,                       /* "`**`"  */
  YYSYMBOL_INTEGER = 33,                   /* "integer"  */
  YYSYMBOL_REAL = 34,                      /* "number"  */
  YYSYMBOL_IDENT = 35,                     /* "name"  */
  YYSYMBOL_STRING = 36,                    /* "string"  */
  YYSYMBOL_37_ = 37,                       /* '<'  */
  YYSYMBOL_38_ = 38,                       /* '>'  */
  YYSYMBOL_39_ = 39,                       /* '+'  */
  YYSYMBOL_40_ = 40,                       /* '-'  */
  YYSYMBOL_41_ = 41,                       /* '*'  */
  YYSYMBOL_42_ = 42,                       /* '/'  */
  YYSYMBOL_43_ = 43,                       /* '%'  */
  YYSYMBOL_44_ = 44,                       /* '@'  */
  YYSYMBOL_UMINUS = 45,                    /* UMINUS  */
  YYSYMBOL_46_ = 46,                       /* '!'  */
  YYSYMBOL_47_ = 47,                       /* ';'  */
  YYSYMBOL_48_ = 48,                       /* '('  */
  YYSYMBOL_49_ = 49,                       /* ')'  */
  YYSYMBOL_50_ = 50,                       /* '}'  */
  YYSYMBOL_51_ = 51,                       /* ','  */
  YYSYMBOL_52_ = 52,                       /* '='  */
  YYSYMBOL_53_ = 53,                       /* '['  */
  YYSYMBOL_54_ = 54,                       /* ']'  */
  YYSYMBOL_55_ = 55,                       /* '{'  */
  YYSYMBOL_YYACCEPT = 56,                  /* $accept  */
  YYSYMBOL_start = 57,                     /* start  */
  YYSYMBOL_items = 58,                     /* items  */
  YYSYMBOL_item = 59,                      /* item  */
  YYSYMBOL_formals_opt = 60,               /* formals_opt  */
  YYSYMBOL_formals = 61,                   /* formals  */
  YYSYMBOL_formal = 62,                    /* formal  */
  YYSYMBOL_default_opt = 63,               /* default_opt  */
  YYSYMBOL_qformals = 64,                  /* qformals  */
  YYSYMBOL_qformal = 65,                   /* qformal  */
  YYSYMBOL_dims_opt = 66,                  /* dims_opt  */
  YYSYMBOL_dims = 67,                      /* dims  */
  YYSYMBOL_block = 68,                     /* block  */
  YYSYMBOL_stmts = 69,                     /* stmts  */
  YYSYMBOL_stmt = 70,                      /* stmt  */
  YYSYMBOL_else_part = 71,                 /* else_part  */
  YYSYMBOL_init_opt = 72,                  /* init_opt  */
  YYSYMBOL_qargs_opt = 73,                 /* qargs_opt  */
  YYSYMBOL_qargs = 74,                     /* qargs  */
  YYSYMBOL_qref = 75,                      /* qref  */
  YYSYMBOL_exprs_opt = 76,                 /* exprs_opt  */
  YYSYMBOL_exprs = 77,                     /* exprs  */
  YYSYMBOL_args_opt = 78,                  /* args_opt  */
  YYSYMBOL_args = 79,                      /* args  */
  YYSYMBOL_arg = 80,                       /* arg  */
  YYSYMBOL_expr = 81,                      /* expr  */
  YYSYMBOL_primary = 82                    /* primary  */
};
typedef enum yysymbol_kind_t yysymbol_kind_t;



/* Unqualified %code blocks.  */
#line 26 "compiler/parser.y"

#include <string.h>
#include "lex_extra.h"
#include "parse.h"
#include "lexer.h"

static int yylex(YYSTYPE *lval, YYLTYPE *lloc, yyscan_t scanner);
static void yyerror(YYLTYPE *loc, yyscan_t scanner, const char *msg);
#define AR (yyget_extra(scanner)->ar)
#define NODE(k, l) ast_new(AR, (k), (l))

#line 198 "build-old/gen/parser.c"

#ifdef short
# undef short
#endif

/* On compilers that do not define __PTRDIFF_MAX__ etc., make sure
   <limits.h> and (if available) <stdint.h> are included
   so that the code can choose integer types of a good width.  */

#ifndef __PTRDIFF_MAX__
# include <limits.h> /* INFRINGES ON USER NAME SPACE */
# if defined __STDC_VERSION__ && 199901 <= __STDC_VERSION__
#  include <stdint.h> /* INFRINGES ON USER NAME SPACE */
#  define YY_STDINT_H
# endif
#endif

/* Narrow types that promote to a signed type and that can represent a
   signed or unsigned integer of at least N bits.  In tables they can
   save space and decrease cache pressure.  Promoting to a signed type
   helps avoid bugs in integer arithmetic.  */

#ifdef __INT_LEAST8_MAX__
typedef __INT_LEAST8_TYPE__ yytype_int8;
#elif defined YY_STDINT_H
typedef int_least8_t yytype_int8;
#else
typedef signed char yytype_int8;
#endif

#ifdef __INT_LEAST16_MAX__
typedef __INT_LEAST16_TYPE__ yytype_int16;
#elif defined YY_STDINT_H
typedef int_least16_t yytype_int16;
#else
typedef short yytype_int16;
#endif

/* Work around bug in HP-UX 11.23, which defines these macros
   incorrectly for preprocessor constants.  This workaround can likely
   be removed in 2023, as HPE has promised support for HP-UX 11.23
   (aka HP-UX 11i v2) only through the end of 2022; see Table 2 of
   <https://h20195.www2.hpe.com/V2/getpdf.aspx/4AA4-7673ENW.pdf>.  */
#ifdef __hpux
# undef UINT_LEAST8_MAX
# undef UINT_LEAST16_MAX
# define UINT_LEAST8_MAX 255
# define UINT_LEAST16_MAX 65535
#endif

#if defined __UINT_LEAST8_MAX__ && __UINT_LEAST8_MAX__ <= __INT_MAX__
typedef __UINT_LEAST8_TYPE__ yytype_uint8;
#elif (!defined __UINT_LEAST8_MAX__ && defined YY_STDINT_H \
       && UINT_LEAST8_MAX <= INT_MAX)
typedef uint_least8_t yytype_uint8;
#elif !defined __UINT_LEAST8_MAX__ && UCHAR_MAX <= INT_MAX
typedef unsigned char yytype_uint8;
#else
typedef short yytype_uint8;
#endif

#if defined __UINT_LEAST16_MAX__ && __UINT_LEAST16_MAX__ <= __INT_MAX__
typedef __UINT_LEAST16_TYPE__ yytype_uint16;
#elif (!defined __UINT_LEAST16_MAX__ && defined YY_STDINT_H \
       && UINT_LEAST16_MAX <= INT_MAX)
typedef uint_least16_t yytype_uint16;
#elif !defined __UINT_LEAST16_MAX__ && USHRT_MAX <= INT_MAX
typedef unsigned short yytype_uint16;
#else
typedef int yytype_uint16;
#endif

#ifndef YYPTRDIFF_T
# if defined __PTRDIFF_TYPE__ && defined __PTRDIFF_MAX__
#  define YYPTRDIFF_T __PTRDIFF_TYPE__
#  define YYPTRDIFF_MAXIMUM __PTRDIFF_MAX__
# elif defined PTRDIFF_MAX
#  ifndef ptrdiff_t
#   include <stddef.h> /* INFRINGES ON USER NAME SPACE */
#  endif
#  define YYPTRDIFF_T ptrdiff_t
#  define YYPTRDIFF_MAXIMUM PTRDIFF_MAX
# else
#  define YYPTRDIFF_T long
#  define YYPTRDIFF_MAXIMUM LONG_MAX
# endif
#endif

#ifndef YYSIZE_T
# ifdef __SIZE_TYPE__
#  define YYSIZE_T __SIZE_TYPE__
# elif defined size_t
#  define YYSIZE_T size_t
# elif defined __STDC_VERSION__ && 199901 <= __STDC_VERSION__
#  include <stddef.h> /* INFRINGES ON USER NAME SPACE */
#  define YYSIZE_T size_t
# else
#  define YYSIZE_T unsigned
# endif
#endif

#define YYSIZE_MAXIMUM                                  \
  YY_CAST (YYPTRDIFF_T,                                 \
           (YYPTRDIFF_MAXIMUM < YY_CAST (YYSIZE_T, -1)  \
            ? YYPTRDIFF_MAXIMUM                         \
            : YY_CAST (YYSIZE_T, -1)))

#define YYSIZEOF(X) YY_CAST (YYPTRDIFF_T, sizeof (X))


/* Stored state numbers (used for stacks). */
typedef yytype_uint8 yy_state_t;

/* State numbers in computations.  */
typedef int yy_state_fast_t;

#ifndef YY_
# if defined YYENABLE_NLS && YYENABLE_NLS
#  if ENABLE_NLS
#   include <libintl.h> /* INFRINGES ON USER NAME SPACE */
#   define YY_(Msgid) dgettext ("bison-runtime", Msgid)
#  endif
# endif
# ifndef YY_
#  define YY_(Msgid) Msgid
# endif
#endif


#ifndef YY_ATTRIBUTE_PURE
# if defined __GNUC__ && 2 < __GNUC__ + (96 <= __GNUC_MINOR__)
#  define YY_ATTRIBUTE_PURE __attribute__ ((__pure__))
# else
#  define YY_ATTRIBUTE_PURE
# endif
#endif

#ifndef YY_ATTRIBUTE_UNUSED
# if defined __GNUC__ && 2 < __GNUC__ + (7 <= __GNUC_MINOR__)
#  define YY_ATTRIBUTE_UNUSED __attribute__ ((__unused__))
# else
#  define YY_ATTRIBUTE_UNUSED
# endif
#endif

/* Suppress unused-variable warnings by "using" E.  */
#if ! defined lint || defined __GNUC__
# define YY_USE(E) ((void) (E))
#else
# define YY_USE(E) /* empty */
#endif

/* Suppress an incorrect diagnostic about yylval being uninitialized.  */
#if defined __GNUC__ && ! defined __ICC && 406 <= __GNUC__ * 100 + __GNUC_MINOR__
# if __GNUC__ * 100 + __GNUC_MINOR__ < 407
#  define YY_IGNORE_MAYBE_UNINITIALIZED_BEGIN                           \
    _Pragma ("GCC diagnostic push")                                     \
    _Pragma ("GCC diagnostic ignored \"-Wuninitialized\"")
# else
#  define YY_IGNORE_MAYBE_UNINITIALIZED_BEGIN                           \
    _Pragma ("GCC diagnostic push")                                     \
    _Pragma ("GCC diagnostic ignored \"-Wuninitialized\"")              \
    _Pragma ("GCC diagnostic ignored \"-Wmaybe-uninitialized\"")
# endif
# define YY_IGNORE_MAYBE_UNINITIALIZED_END      \
    _Pragma ("GCC diagnostic pop")
#else
# define YY_INITIAL_VALUE(Value) Value
#endif
#ifndef YY_IGNORE_MAYBE_UNINITIALIZED_BEGIN
# define YY_IGNORE_MAYBE_UNINITIALIZED_BEGIN
# define YY_IGNORE_MAYBE_UNINITIALIZED_END
#endif
#ifndef YY_INITIAL_VALUE
# define YY_INITIAL_VALUE(Value) /* Nothing. */
#endif

#if defined __cplusplus && defined __GNUC__ && ! defined __ICC && 6 <= __GNUC__
# define YY_IGNORE_USELESS_CAST_BEGIN                          \
    _Pragma ("GCC diagnostic push")                            \
    _Pragma ("GCC diagnostic ignored \"-Wuseless-cast\"")
# define YY_IGNORE_USELESS_CAST_END            \
    _Pragma ("GCC diagnostic pop")
#endif
#ifndef YY_IGNORE_USELESS_CAST_BEGIN
# define YY_IGNORE_USELESS_CAST_BEGIN
# define YY_IGNORE_USELESS_CAST_END
#endif


#define YY_ASSERT(E) ((void) (0 && (E)))

#if 1

/* The parser invokes alloca or malloc; define the necessary symbols.  */

# ifdef YYSTACK_USE_ALLOCA
#  if YYSTACK_USE_ALLOCA
#   ifdef __GNUC__
#    define YYSTACK_ALLOC __builtin_alloca
#   elif defined __BUILTIN_VA_ARG_INCR
#    include <alloca.h> /* INFRINGES ON USER NAME SPACE */
#   elif defined _AIX
#    define YYSTACK_ALLOC __alloca
#   elif defined _MSC_VER
#    include <malloc.h> /* INFRINGES ON USER NAME SPACE */
#    define alloca _alloca
#   else
#    define YYSTACK_ALLOC alloca
#    if ! defined _ALLOCA_H && ! defined EXIT_SUCCESS
#     include <stdlib.h> /* INFRINGES ON USER NAME SPACE */
      /* Use EXIT_SUCCESS as a witness for stdlib.h.  */
#     ifndef EXIT_SUCCESS
#      define EXIT_SUCCESS 0
#     endif
#    endif
#   endif
#  endif
# endif

# ifdef YYSTACK_ALLOC
   /* Pacify GCC's 'empty if-body' warning.  */
#  define YYSTACK_FREE(Ptr) do { /* empty */; } while (0)
#  ifndef YYSTACK_ALLOC_MAXIMUM
    /* The OS might guarantee only one guard page at the bottom of the stack,
       and a page size can be as small as 4096 bytes.  So we cannot safely
       invoke alloca (N) if N exceeds 4096.  Use a slightly smaller number
       to allow for a few compiler-allocated temporary stack slots.  */
#   define YYSTACK_ALLOC_MAXIMUM 4032 /* reasonable circa 2006 */
#  endif
# else
#  define YYSTACK_ALLOC YYMALLOC
#  define YYSTACK_FREE YYFREE
#  ifndef YYSTACK_ALLOC_MAXIMUM
#   define YYSTACK_ALLOC_MAXIMUM YYSIZE_MAXIMUM
#  endif
#  if (defined __cplusplus && ! defined EXIT_SUCCESS \
       && ! ((defined YYMALLOC || defined malloc) \
             && (defined YYFREE || defined free)))
#   include <stdlib.h> /* INFRINGES ON USER NAME SPACE */
#   ifndef EXIT_SUCCESS
#    define EXIT_SUCCESS 0
#   endif
#  endif
#  ifndef YYMALLOC
#   define YYMALLOC malloc
#   if ! defined malloc && ! defined EXIT_SUCCESS
void *malloc (YYSIZE_T); /* INFRINGES ON USER NAME SPACE */
#   endif
#  endif
#  ifndef YYFREE
#   define YYFREE free
#   if ! defined free && ! defined EXIT_SUCCESS
void free (void *); /* INFRINGES ON USER NAME SPACE */
#   endif
#  endif
# endif
#endif /* 1 */

#if (! defined yyoverflow \
     && (! defined __cplusplus \
         || (defined YYLTYPE_IS_TRIVIAL && YYLTYPE_IS_TRIVIAL \
             && defined YYSTYPE_IS_TRIVIAL && YYSTYPE_IS_TRIVIAL)))

/* A type that is properly aligned for any stack member.  */
union yyalloc
{
  yy_state_t yyss_alloc;
  YYSTYPE yyvs_alloc;
  YYLTYPE yyls_alloc;
};

/* The size of the maximum gap between one aligned stack and the next.  */
# define YYSTACK_GAP_MAXIMUM (YYSIZEOF (union yyalloc) - 1)

/* The size of an array large to enough to hold all stacks, each with
   N elements.  */
# define YYSTACK_BYTES(N) \
     ((N) * (YYSIZEOF (yy_state_t) + YYSIZEOF (YYSTYPE) \
             + YYSIZEOF (YYLTYPE)) \
      + 2 * YYSTACK_GAP_MAXIMUM)

# define YYCOPY_NEEDED 1

/* Relocate STACK from its old location to the new one.  The
   local variables YYSIZE and YYSTACKSIZE give the old and new number of
   elements in the stack, and YYPTR gives the new location of the
   stack.  Advance YYPTR to a properly aligned location for the next
   stack.  */
# define YYSTACK_RELOCATE(Stack_alloc, Stack)                           \
    do                                                                  \
      {                                                                 \
        YYPTRDIFF_T yynewbytes;                                         \
        YYCOPY (&yyptr->Stack_alloc, Stack, yysize);                    \
        Stack = &yyptr->Stack_alloc;                                    \
        yynewbytes = yystacksize * YYSIZEOF (*Stack) + YYSTACK_GAP_MAXIMUM; \
        yyptr += yynewbytes / YYSIZEOF (*yyptr);                        \
      }                                                                 \
    while (0)

#endif

#if defined YYCOPY_NEEDED && YYCOPY_NEEDED
/* Copy COUNT objects from SRC to DST.  The source and destination do
   not overlap.  */
# ifndef YYCOPY
#  if defined __GNUC__ && 1 < __GNUC__
#   define YYCOPY(Dst, Src, Count) \
      __builtin_memcpy (Dst, Src, YY_CAST (YYSIZE_T, (Count)) * sizeof (*(Src)))
#  else
#   define YYCOPY(Dst, Src, Count)              \
      do                                        \
        {                                       \
          YYPTRDIFF_T yyi;                      \
          for (yyi = 0; yyi < (Count); yyi++)   \
            (Dst)[yyi] = (Src)[yyi];            \
        }                                       \
      while (0)
#  endif
# endif
#endif /* !YYCOPY_NEEDED */

/* YYFINAL -- State number of the termination state.  */
#define YYFINAL  15
/* YYLAST -- Last index in YYTABLE.  */
#define YYLAST   559

/* YYNTOKENS -- Number of terminals.  */
#define YYNTOKENS  56
/* YYNNTS -- Number of nonterminals.  */
#define YYNNTS  27
/* YYNRULES -- Number of rules.  */
#define YYNRULES  102
/* YYNSTATES -- Number of states.  */
#define YYNSTATES  223

/* YYMAXUTOK -- Last valid token kind.  */
#define YYMAXUTOK   292


/* YYTRANSLATE(TOKEN-NUM) -- Symbol number corresponding to TOKEN-NUM
   as returned by yylex, with out-of-bounds checking.  */
#define YYTRANSLATE(YYX)                                \
  (0 <= (YYX) && (YYX) <= YYMAXUTOK                     \
   ? YY_CAST (yysymbol_kind_t, yytranslate[YYX])        \
   : YYSYMBOL_YYUNDEF)

/* YYTRANSLATE[TOKEN-NUM] -- Symbol number corresponding to TOKEN-NUM
   as returned by yylex.  */
static const yytype_int8 yytranslate[] =
{
       0,     2,     2,     2,     2,     2,     2,     2,     2,     2,
       2,     2,     2,     2,     2,     2,     2,     2,     2,     2,
       2,     2,     2,     2,     2,     2,     2,     2,     2,     2,
       2,     2,     2,    46,     2,     2,     2,    43,     2,     2,
      48,    49,    41,    39,    51,    40,     2,    42,     2,     2,
       2,     2,     2,     2,     2,     2,     2,     2,     2,    47,
      37,    52,    38,     2,    44,     2,     2,     2,     2,     2,
       2,     2,     2,     2,     2,     2,     2,     2,     2,     2,
       2,     2,     2,     2,     2,     2,     2,     2,     2,     2,
       2,    53,     2,    54,     2,     2,     2,     2,     2,     2,
       2,     2,     2,     2,     2,     2,     2,     2,     2,     2,
       2,     2,     2,     2,     2,     2,     2,     2,     2,     2,
       2,     2,     2,    55,     2,    50,     2,     2,     2,     2,
       2,     2,     2,     2,     2,     2,     2,     2,     2,     2,
       2,     2,     2,     2,     2,     2,     2,     2,     2,     2,
       2,     2,     2,     2,     2,     2,     2,     2,     2,     2,
       2,     2,     2,     2,     2,     2,     2,     2,     2,     2,
       2,     2,     2,     2,     2,     2,     2,     2,     2,     2,
       2,     2,     2,     2,     2,     2,     2,     2,     2,     2,
       2,     2,     2,     2,     2,     2,     2,     2,     2,     2,
       2,     2,     2,     2,     2,     2,     2,     2,     2,     2,
       2,     2,     2,     2,     2,     2,     2,     2,     2,     2,
       2,     2,     2,     2,     2,     2,     2,     2,     2,     2,
       2,     2,     2,     2,     2,     2,     2,     2,     2,     2,
       2,     2,     2,     2,     2,     2,     2,     2,     2,     2,
       2,     2,     2,     2,     2,     2,     1,     2,     3,     4,
       5,     6,     7,     8,     9,    10,    11,    12,    13,    14,
      15,    16,    17,    18,    19,    20,    21,    22,    23,    24,
      25,    26,    27,    28,    29,    30,    31,    32,    33,    34,
      35,    36,    45
};

#if YYDEBUG
/* YYRLINE[YYN] -- Source line where rule number YYN was defined.  */
static const yytype_int16 yyrline[] =
{
       0,    70,    70,    72,    76,    77,    81,    82,    84,    86,
      88,    89,    91,    92,    94,    95,    99,   100,   104,   105,
     109,   110,   111,   112,   118,   119,   123,   124,   128,   129,
     133,   134,   138,   139,   143,   147,   148,   152,   154,   156,
     158,   160,   162,   163,   165,   167,   168,   169,   170,   172,
     173,   174,   176,   177,   181,   182,   183,   187,   188,   192,
     193,   197,   198,   203,   204,   208,   209,   213,   214,   218,
     219,   223,   224,   228,   229,   230,   231,   235,   236,   237,
     238,   239,   240,   241,   242,   243,   244,   245,   246,   247,
     248,   249,   250,   251,   252,   256,   257,   258,   259,   260,
     262,   263,   264
};
#endif

/** Accessing symbol of state STATE.  */
#define YY_ACCESSING_SYMBOL(State) YY_CAST (yysymbol_kind_t, yystos[State])

#if 1
/* The user-facing name of the symbol whose (internal) number is
   YYSYMBOL.  No bounds checking.  */
static const char *yysymbol_name (yysymbol_kind_t yysymbol) YY_ATTRIBUTE_UNUSED;

static const char *
yysymbol_name (yysymbol_kind_t yysymbol)
{
  static const char *const yy_sname[] =
  {
  "end of file", "error", "invalid token", "START_PROGRAM", "START_EXPR",
  "`import`", "`gate`", "`circuit`", "`model`", "`experiment`", "`qubits`",
  "`input`", "`param`", "`init`", "`let`", "`for`", "`in`", "`repeat`",
  "`as`", "`if`", "`else`", "`expval`", "`quantum`", "`int`", "`float`",
  "`..`", "`==`", "`!=`", "`<=`", "`>=`", "`&&`", "`||`", "`**`",
  "integer", "number", "name", "string", "'<'", "'>'", "'+'", "'-'", "'*'",
  "'/'", "'%'", "'@'", "UMINUS", "'!'", "';'", "'('", "')'", "'}'", "','",
  "'='", "'['", "']'", "'{'", "$accept", "start", "items", "item",
  "formals_opt", "formals", "formal", "default_opt", "qformals", "qformal",
  "dims_opt", "dims", "block", "stmts", "stmt", "else_part", "init_opt",
  "qargs_opt", "qargs", "qref", "exprs_opt", "exprs", "args_opt", "args",
  "arg", "expr", "primary", YY_NULLPTR
  };
  return yy_sname[yysymbol];
}
#endif

#define YYPACT_NINF (-164)

#define yypact_value_is_default(Yyn) \
  ((Yyn) == YYPACT_NINF)

#define YYTABLE_NINF (-3)

#define yytable_value_is_error(Yyn) \
  ((Yyn) == YYTABLE_NINF)

/* YYPACT[STATE-NUM] -- Index in YYTABLE of the portion describing
   STATE-NUM.  */
static const yytype_int16 yypact[] =
{
      81,  -164,   410,    11,    18,  -164,  -164,   -26,  -164,   410,
     410,   410,   410,   458,    -7,  -164,    20,    51,    63,    69,
      78,    79,  -164,    89,    85,    85,   305,    64,    49,   458,
     410,   410,   410,   410,   410,   410,   410,   410,   410,   410,
     410,   410,   410,   410,   410,   410,  -164,  -164,    72,   -31,
     -43,     2,    71,    75,    76,   -46,    84,    83,  -164,   458,
    -164,  -164,   410,   496,   496,   496,   496,   515,   477,    85,
     496,   496,    65,    65,    85,    85,    85,    85,   191,  -164,
      87,    68,    13,  -164,    68,  -164,  -164,    68,  -164,  -164,
     410,   410,   410,  -164,    89,   458,  -164,   410,   101,   103,
     106,    90,    95,    96,  -164,   111,  -164,    99,    61,   100,
     458,   458,   458,  -164,   210,   110,   110,   110,   410,   110,
      98,   111,    68,  -164,    71,   105,   121,   139,   142,   143,
     144,   145,   410,   410,   410,   148,   -32,  -164,  -164,    71,
    -164,   410,  -164,  -164,  -164,   229,  -164,   410,    13,  -164,
    -164,  -164,   410,   131,    90,    90,   133,   170,   172,   127,
     329,    46,  -164,  -164,    89,   410,    30,   135,  -164,   458,
    -164,   248,  -164,   351,   410,     0,   176,   410,   410,   156,
    -164,   173,  -164,  -164,    89,   146,   373,  -164,   159,   410,
    -164,  -164,   267,  -164,   410,   149,   395,   439,    71,    44,
    -164,   157,   159,  -164,   135,   286,   150,   458,  -164,  -164,
     410,  -164,  -164,  -164,   158,   160,   174,  -164,  -164,   127,
    -164,  -164,  -164
};

/* YYDEFACT[STATE-NUM] -- Default reduction number in state STATE-NUM.
   Performed when YYTABLE does not specify something else to do.  Zero
   means the default is an error.  */
static const yytype_int8 yydefact[] =
{
       0,     4,     0,     0,     0,    95,    96,    98,    97,     0,
       0,     0,    65,     3,    77,     1,     0,     0,     0,     0,
       0,     0,     5,    69,    93,    94,     0,     0,    66,    67,
       0,     0,     0,     0,     0,     0,     0,     0,     0,     0,
       0,     0,     0,     0,     0,     0,    15,    14,     0,     0,
       0,     0,     0,     0,     0,    98,     0,    70,    71,    73,
     102,   101,     0,    89,    90,    87,    88,    91,    92,    84,
      85,    86,    78,    79,    80,    81,    82,    83,     0,     6,
      28,    16,     0,    26,    16,    35,    10,    16,    12,    13,
       0,     0,     0,    99,     0,    68,   100,     0,     0,     0,
       0,    30,     0,    17,    18,     0,     8,     0,     0,     0,
      75,    76,    74,    72,     0,    24,    24,    24,     0,    24,
      31,     0,     0,    27,     0,     0,     0,     0,     0,     0,
       0,     0,     0,     0,     0,     0,     0,    34,    36,     0,
      29,     0,    22,    20,    21,     0,    23,     0,     0,    19,
       9,    53,     0,     0,     0,    30,     0,     0,     0,     0,
       0,     0,    63,    50,    69,     0,     0,    61,    11,    25,
      32,     0,     7,     0,     0,     0,    57,     0,     0,     0,
      42,    54,    45,    52,    69,     0,     0,    49,     0,     0,
      33,    47,     0,    38,     0,     0,     0,     0,     0,     0,
      44,     0,    59,    46,    62,     0,     0,    58,    39,    40,
       0,    43,    55,    56,     0,     0,    60,    64,    37,     0,
      51,    48,    41
};

/* YYPGOTO[NTERM-NUM].  */
static const yytype_int16 yypgoto[] =
{
    -164,  -164,  -164,  -164,    28,  -164,   102,   -68,   122,   141,
     107,   109,   -38,  -164,    27,  -164,  -164,  -164,    42,    77,
    -164,  -164,  -163,  -164,   187,    -2,  -164
};

/* YYDEFGOTO[NTERM-NUM].  */
static const yytype_uint8 yydefgoto[] =
{
       0,     3,     4,    22,   102,   103,   104,   142,    82,    83,
     119,   120,    86,   108,   138,   200,   195,   215,   166,   167,
      27,    28,    56,    57,    58,    59,    14
};

/* YYTABLE[YYPACT[STATE-NUM]] -- What to do in state STATE-NUM.  If
   positive, shift that token.  If negative, reduce the rule whose
   number is the opposite.  If YYTABLE_NINF, syntax error.  */
static const yytype_int16 yytable[] =
{
      13,   185,    23,   162,    80,    84,    92,    24,    25,    26,
      29,    15,    85,    88,    89,   163,   164,    81,    -2,    16,
     165,   201,    23,    17,    18,    19,    20,    21,    63,    64,
      65,    66,    67,    68,    69,    70,    71,    72,    73,    74,
      75,    76,    77,    78,   106,   125,    45,   193,   143,   144,
      87,   146,   126,   147,   127,   128,   129,    85,   130,   131,
      95,   132,   125,   133,   105,   134,   135,    46,    85,   126,
      47,   127,   128,   129,    98,   130,   131,   187,   132,   136,
     133,   188,   134,   135,     1,     2,   150,    48,   110,   111,
     112,    99,   100,   183,   184,   114,   136,    36,    49,    85,
      62,   168,    53,   101,    50,    54,    41,    42,    43,    44,
     172,   137,   107,    51,    52,   109,   145,    36,    61,    79,
     180,   181,     5,     6,    55,     8,    85,    90,    91,     9,
     158,   159,   160,    93,    94,    10,   115,    11,   116,   169,
      97,   117,    12,   118,   121,   171,    80,   122,   124,   139,
     173,   147,   151,    30,    31,    32,    33,    34,    35,    36,
     211,   212,   141,   186,    37,    38,    39,    40,    41,    42,
      43,    44,   192,   152,   153,   196,   197,   154,   155,   156,
     157,   222,    85,   161,   174,   177,   178,   205,   189,   194,
     179,   198,   207,   199,   162,   202,   208,   218,    30,    31,
      32,    33,    34,    35,    36,   220,   214,   221,   219,    37,
      38,    39,    40,    41,    42,    43,    44,    30,    31,    32,
      33,    34,    35,    36,   149,   188,   213,    85,    37,    38,
      39,    40,    41,    42,    43,    44,    30,    31,    32,    33,
      34,    35,    36,   148,   216,    96,   123,    37,    38,    39,
      40,    41,    42,    43,    44,    30,    31,    32,    33,    34,
      35,    36,   176,   175,   140,   204,    37,    38,    39,    40,
      41,    42,    43,    44,    30,    31,    32,    33,    34,    35,
      36,   113,     0,   170,     0,    37,    38,    39,    40,    41,
      42,    43,    44,    30,    31,    32,    33,    34,    35,    36,
       0,     0,   190,     0,    37,    38,    39,    40,    41,    42,
      43,    44,    30,    31,    32,    33,    34,    35,    36,     0,
       0,   206,     0,    37,    38,    39,    40,    41,    42,    43,
      44,    30,    31,    32,    33,    34,    35,    36,     0,     0,
     217,     0,    37,    38,    39,    40,    41,    42,    43,    44,
       0,     0,     0,     0,    60,    30,    31,    32,    33,    34,
      35,    36,     0,     0,     0,     0,    37,    38,    39,    40,
      41,    42,    43,    44,     0,     0,   182,    30,    31,    32,
      33,    34,    35,    36,     0,     0,     0,     0,    37,    38,
      39,    40,    41,    42,    43,    44,     0,     0,   191,    30,
      31,    32,    33,    34,    35,    36,     0,     0,     0,     0,
      37,    38,    39,    40,    41,    42,    43,    44,     0,     0,
     203,    30,    31,    32,    33,    34,    35,    36,     0,     0,
       0,     0,    37,    38,    39,    40,    41,    42,    43,    44,
       0,     0,   209,     5,     6,     7,     8,     0,     0,     0,
       9,     0,     0,     0,     0,     0,    10,     0,    11,     0,
       0,     0,     0,    12,   210,    30,    31,    32,    33,    34,
      35,    36,     0,     0,     0,     0,    37,    38,    39,    40,
      41,    42,    43,    44,    30,    31,    32,    33,    34,    35,
      36,     0,     0,     0,     0,    37,    38,    39,    40,    41,
      42,    43,    44,    30,    31,    32,    33,    34,     0,    36,
       0,     0,     0,     0,    37,    38,    39,    40,    41,    42,
      43,    44,    -3,    -3,    -3,    -3,     0,     0,    36,     0,
       0,     0,     0,    -3,    -3,    39,    40,    41,    42,    43,
      44,    30,    31,    32,    33,     0,     0,    36,     0,     0,
       0,     0,    37,    38,    39,    40,    41,    42,    43,    44
};

static const yytype_int16 yycheck[] =
{
       2,   164,    48,    35,    35,    48,    52,     9,    10,    11,
      12,     0,    55,    51,    52,    47,    48,    48,     0,     1,
      52,   184,    48,     5,     6,     7,     8,     9,    30,    31,
      32,    33,    34,    35,    36,    37,    38,    39,    40,    41,
      42,    43,    44,    45,    82,     1,    53,    47,   116,   117,
      48,   119,     8,    53,    10,    11,    12,    55,    14,    15,
      62,    17,     1,    19,    51,    21,    22,    47,    55,     8,
      50,    10,    11,    12,     6,    14,    15,    47,    17,    35,
      19,    51,    21,    22,     3,     4,   124,    36,    90,    91,
      92,    23,    24,    47,    48,    97,    35,    32,    35,    55,
      51,   139,    13,    35,    35,    16,    41,    42,    43,    44,
     148,    50,    84,    35,    35,    87,   118,    32,    54,    47,
     158,   159,    33,    34,    35,    36,    55,    52,    52,    40,
     132,   133,   134,    49,    51,    46,    35,    48,    35,   141,
      53,    35,    53,    53,    49,   147,    35,    51,    49,    49,
     152,    53,    47,    26,    27,    28,    29,    30,    31,    32,
     198,   199,    52,   165,    37,    38,    39,    40,    41,    42,
      43,    44,   174,    52,    35,   177,   178,    35,    35,    35,
      35,   219,    55,    35,    53,    52,    16,   189,    53,    13,
      18,    35,   194,    20,    35,    49,    47,    47,    26,    27,
      28,    29,    30,    31,    32,    47,    49,    47,   210,    37,
      38,    39,    40,    41,    42,    43,    44,    26,    27,    28,
      29,    30,    31,    32,   122,    51,   199,    55,    37,    38,
      39,    40,    41,    42,    43,    44,    26,    27,    28,    29,
      30,    31,    32,   121,   202,    54,   105,    37,    38,    39,
      40,    41,    42,    43,    44,    26,    27,    28,    29,    30,
      31,    32,   155,   154,    54,   188,    37,    38,    39,    40,
      41,    42,    43,    44,    26,    27,    28,    29,    30,    31,
      32,    94,    -1,    54,    -1,    37,    38,    39,    40,    41,
      42,    43,    44,    26,    27,    28,    29,    30,    31,    32,
      -1,    -1,    54,    -1,    37,    38,    39,    40,    41,    42,
      43,    44,    26,    27,    28,    29,    30,    31,    32,    -1,
      -1,    54,    -1,    37,    38,    39,    40,    41,    42,    43,
      44,    26,    27,    28,    29,    30,    31,    32,    -1,    -1,
      54,    -1,    37,    38,    39,    40,    41,    42,    43,    44,
      -1,    -1,    -1,    -1,    49,    26,    27,    28,    29,    30,
      31,    32,    -1,    -1,    -1,    -1,    37,    38,    39,    40,
      41,    42,    43,    44,    -1,    -1,    47,    26,    27,    28,
      29,    30,    31,    32,    -1,    -1,    -1,    -1,    37,    38,
      39,    40,    41,    42,    43,    44,    -1,    -1,    47,    26,
      27,    28,    29,    30,    31,    32,    -1,    -1,    -1,    -1,
      37,    38,    39,    40,    41,    42,    43,    44,    -1,    -1,
      47,    26,    27,    28,    29,    30,    31,    32,    -1,    -1,
      -1,    -1,    37,    38,    39,    40,    41,    42,    43,    44,
      -1,    -1,    47,    33,    34,    35,    36,    -1,    -1,    -1,
      40,    -1,    -1,    -1,    -1,    -1,    46,    -1,    48,    -1,
      -1,    -1,    -1,    53,    25,    26,    27,    28,    29,    30,
      31,    32,    -1,    -1,    -1,    -1,    37,    38,    39,    40,
      41,    42,    43,    44,    26,    27,    28,    29,    30,    31,
      32,    -1,    -1,    -1,    -1,    37,    38,    39,    40,    41,
      42,    43,    44,    26,    27,    28,    29,    30,    -1,    32,
      -1,    -1,    -1,    -1,    37,    38,    39,    40,    41,    42,
      43,    44,    26,    27,    28,    29,    -1,    -1,    32,    -1,
      -1,    -1,    -1,    37,    38,    39,    40,    41,    42,    43,
      44,    26,    27,    28,    29,    -1,    -1,    32,    -1,    -1,
      -1,    -1,    37,    38,    39,    40,    41,    42,    43,    44
};

/* YYSTOS[STATE-NUM] -- The symbol kind of the accessing symbol of
   state STATE-NUM.  */
static const yytype_int8 yystos[] =
{
       0,     3,     4,    57,    58,    33,    34,    35,    36,    40,
      46,    48,    53,    81,    82,     0,     1,     5,     6,     7,
       8,     9,    59,    48,    81,    81,    81,    76,    77,    81,
      26,    27,    28,    29,    30,    31,    32,    37,    38,    39,
      40,    41,    42,    43,    44,    53,    47,    50,    36,    35,
      35,    35,    35,    13,    16,    35,    78,    79,    80,    81,
      49,    54,    51,    81,    81,    81,    81,    81,    81,    81,
      81,    81,    81,    81,    81,    81,    81,    81,    81,    47,
      35,    48,    64,    65,    48,    55,    68,    48,    68,    68,
      52,    52,    52,    49,    51,    81,    54,    53,     6,    23,
      24,    35,    60,    61,    62,    51,    68,    60,    69,    60,
      81,    81,    81,    80,    81,    35,    35,    35,    53,    66,
      67,    49,    51,    65,    49,     1,     8,    10,    11,    12,
      14,    15,    17,    19,    21,    22,    35,    50,    70,    49,
      54,    52,    63,    63,    63,    81,    63,    53,    64,    62,
      68,    47,    52,    35,    35,    35,    35,    35,    81,    81,
      81,    35,    35,    47,    48,    52,    74,    75,    68,    81,
      54,    81,    68,    81,    53,    67,    66,    52,    16,    18,
      68,    68,    47,    47,    48,    78,    81,    47,    51,    53,
      54,    47,    81,    47,    13,    72,    81,    81,    35,    20,
      71,    78,    49,    47,    75,    81,    54,    81,    47,    47,
      25,    68,    68,    70,    49,    73,    74,    54,    47,    81,
      47,    47,    68
};

/* YYR1[RULE-NUM] -- Symbol kind of the left-hand side of rule RULE-NUM.  */
static const yytype_int8 yyr1[] =
{
       0,    56,    57,    57,    58,    58,    59,    59,    59,    59,
      59,    59,    59,    59,    59,    59,    60,    60,    61,    61,
      62,    62,    62,    62,    63,    63,    64,    64,    65,    65,
      66,    66,    67,    67,    68,    69,    69,    70,    70,    70,
      70,    70,    70,    70,    70,    70,    70,    70,    70,    70,
      70,    70,    70,    70,    71,    71,    71,    72,    72,    73,
      73,    74,    74,    75,    75,    76,    76,    77,    77,    78,
      78,    79,    79,    80,    80,    80,    80,    81,    81,    81,
      81,    81,    81,    81,    81,    81,    81,    81,    81,    81,
      81,    81,    81,    81,    81,    82,    82,    82,    82,    82,
      82,    82,    82
};

/* YYR2[RULE-NUM] -- Number of symbols on the right-hand side of rule RULE-NUM.  */
static const yytype_int8 yyr2[] =
{
       0,     2,     2,     2,     0,     2,     3,     7,     4,     6,
       3,     6,     3,     3,     2,     2,     0,     1,     1,     3,
       3,     3,     3,     3,     0,     2,     1,     3,     1,     4,
       0,     1,     3,     4,     3,     0,     2,     6,     4,     5,
       5,     7,     3,     5,     4,     3,     4,     4,     6,     3,
       2,     6,     3,     2,     0,     2,     2,     0,     2,     0,
       1,     1,     3,     1,     4,     0,     1,     1,     3,     0,
       1,     1,     3,     1,     3,     3,     3,     1,     3,     3,
       3,     3,     3,     3,     3,     3,     3,     3,     3,     3,
       3,     3,     3,     2,     2,     1,     1,     1,     1,     4,
       4,     3,     3
};


enum { YYENOMEM = -2 };

#define yyerrok         (yyerrstatus = 0)
#define yyclearin       (yychar = YYEMPTY)

#define YYACCEPT        goto yyacceptlab
#define YYABORT         goto yyabortlab
#define YYERROR         goto yyerrorlab
#define YYNOMEM         goto yyexhaustedlab


#define YYRECOVERING()  (!!yyerrstatus)

#define YYBACKUP(Token, Value)                                    \
  do                                                              \
    if (yychar == YYEMPTY)                                        \
      {                                                           \
        yychar = (Token);                                         \
        yylval = (Value);                                         \
        YYPOPSTACK (yylen);                                       \
        yystate = *yyssp;                                         \
        goto yybackup;                                            \
      }                                                           \
    else                                                          \
      {                                                           \
        yyerror (&yylloc, scanner, YY_("syntax error: cannot back up")); \
        YYERROR;                                                  \
      }                                                           \
  while (0)

/* Backward compatibility with an undocumented macro.
   Use YYerror or YYUNDEF. */
#define YYERRCODE YYUNDEF

/* YYLLOC_DEFAULT -- Set CURRENT to span from RHS[1] to RHS[N].
   If N is 0, then set CURRENT to the empty location which ends
   the previous symbol: RHS[0] (always defined).  */

#ifndef YYLLOC_DEFAULT
# define YYLLOC_DEFAULT(Current, Rhs, N)                                \
    do                                                                  \
      if (N)                                                            \
        {                                                               \
          (Current).first_line   = YYRHSLOC (Rhs, 1).first_line;        \
          (Current).first_column = YYRHSLOC (Rhs, 1).first_column;      \
          (Current).last_line    = YYRHSLOC (Rhs, N).last_line;         \
          (Current).last_column  = YYRHSLOC (Rhs, N).last_column;       \
        }                                                               \
      else                                                              \
        {                                                               \
          (Current).first_line   = (Current).last_line   =              \
            YYRHSLOC (Rhs, 0).last_line;                                \
          (Current).first_column = (Current).last_column =              \
            YYRHSLOC (Rhs, 0).last_column;                              \
        }                                                               \
    while (0)
#endif

#define YYRHSLOC(Rhs, K) ((Rhs)[K])


/* Enable debugging if requested.  */
#if YYDEBUG

# ifndef YYFPRINTF
#  include <stdio.h> /* INFRINGES ON USER NAME SPACE */
#  define YYFPRINTF fprintf
# endif

# define YYDPRINTF(Args)                        \
do {                                            \
  if (yydebug)                                  \
    YYFPRINTF Args;                             \
} while (0)


/* YYLOCATION_PRINT -- Print the location on the stream.
   This macro was not mandated originally: define only if we know
   we won't break user code: when these are the locations we know.  */

# ifndef YYLOCATION_PRINT

#  if defined YY_LOCATION_PRINT

   /* Temporary convenience wrapper in case some people defined the
      undocumented and private YY_LOCATION_PRINT macros.  */
#   define YYLOCATION_PRINT(File, Loc)  YY_LOCATION_PRINT(File, *(Loc))

#  elif defined YYLTYPE_IS_TRIVIAL && YYLTYPE_IS_TRIVIAL

/* Print *YYLOCP on YYO.  Private, do not rely on its existence. */

YY_ATTRIBUTE_UNUSED
static int
yy_location_print_ (FILE *yyo, YYLTYPE const * const yylocp)
{
  int res = 0;
  int end_col = 0 != yylocp->last_column ? yylocp->last_column - 1 : 0;
  if (0 <= yylocp->first_line)
    {
      res += YYFPRINTF (yyo, "%d", yylocp->first_line);
      if (0 <= yylocp->first_column)
        res += YYFPRINTF (yyo, ".%d", yylocp->first_column);
    }
  if (0 <= yylocp->last_line)
    {
      if (yylocp->first_line < yylocp->last_line)
        {
          res += YYFPRINTF (yyo, "-%d", yylocp->last_line);
          if (0 <= end_col)
            res += YYFPRINTF (yyo, ".%d", end_col);
        }
      else if (0 <= end_col && yylocp->first_column < end_col)
        res += YYFPRINTF (yyo, "-%d", end_col);
    }
  return res;
}

#   define YYLOCATION_PRINT  yy_location_print_

    /* Temporary convenience wrapper in case some people defined the
       undocumented and private YY_LOCATION_PRINT macros.  */
#   define YY_LOCATION_PRINT(File, Loc)  YYLOCATION_PRINT(File, &(Loc))

#  else

#   define YYLOCATION_PRINT(File, Loc) ((void) 0)
    /* Temporary convenience wrapper in case some people defined the
       undocumented and private YY_LOCATION_PRINT macros.  */
#   define YY_LOCATION_PRINT  YYLOCATION_PRINT

#  endif
# endif /* !defined YYLOCATION_PRINT */


# define YY_SYMBOL_PRINT(Title, Kind, Value, Location)                    \
do {                                                                      \
  if (yydebug)                                                            \
    {                                                                     \
      YYFPRINTF (stderr, "%s ", Title);                                   \
      yy_symbol_print (stderr,                                            \
                  Kind, Value, Location, scanner); \
      YYFPRINTF (stderr, "\n");                                           \
    }                                                                     \
} while (0)


/*-----------------------------------.
| Print this symbol's value on YYO.  |
`-----------------------------------*/

static void
yy_symbol_value_print (FILE *yyo,
                       yysymbol_kind_t yykind, YYSTYPE const * const yyvaluep, YYLTYPE const * const yylocationp, yyscan_t scanner)
{
  FILE *yyoutput = yyo;
  YY_USE (yyoutput);
  YY_USE (yylocationp);
  YY_USE (scanner);
  if (!yyvaluep)
    return;
  YY_IGNORE_MAYBE_UNINITIALIZED_BEGIN
  YY_USE (yykind);
  YY_IGNORE_MAYBE_UNINITIALIZED_END
}


/*---------------------------.
| Print this symbol on YYO.  |
`---------------------------*/

static void
yy_symbol_print (FILE *yyo,
                 yysymbol_kind_t yykind, YYSTYPE const * const yyvaluep, YYLTYPE const * const yylocationp, yyscan_t scanner)
{
  YYFPRINTF (yyo, "%s %s (",
             yykind < YYNTOKENS ? "token" : "nterm", yysymbol_name (yykind));

  YYLOCATION_PRINT (yyo, yylocationp);
  YYFPRINTF (yyo, ": ");
  yy_symbol_value_print (yyo, yykind, yyvaluep, yylocationp, scanner);
  YYFPRINTF (yyo, ")");
}

/*------------------------------------------------------------------.
| yy_stack_print -- Print the state stack from its BOTTOM up to its |
| TOP (included).                                                   |
`------------------------------------------------------------------*/

static void
yy_stack_print (yy_state_t *yybottom, yy_state_t *yytop)
{
  YYFPRINTF (stderr, "Stack now");
  for (; yybottom <= yytop; yybottom++)
    {
      int yybot = *yybottom;
      YYFPRINTF (stderr, " %d", yybot);
    }
  YYFPRINTF (stderr, "\n");
}

# define YY_STACK_PRINT(Bottom, Top)                            \
do {                                                            \
  if (yydebug)                                                  \
    yy_stack_print ((Bottom), (Top));                           \
} while (0)


/*------------------------------------------------.
| Report that the YYRULE is going to be reduced.  |
`------------------------------------------------*/

static void
yy_reduce_print (yy_state_t *yyssp, YYSTYPE *yyvsp, YYLTYPE *yylsp,
                 int yyrule, yyscan_t scanner)
{
  int yylno = yyrline[yyrule];
  int yynrhs = yyr2[yyrule];
  int yyi;
  YYFPRINTF (stderr, "Reducing stack by rule %d (line %d):\n",
             yyrule - 1, yylno);
  /* The symbols being reduced.  */
  for (yyi = 0; yyi < yynrhs; yyi++)
    {
      YYFPRINTF (stderr, "   $%d = ", yyi + 1);
      yy_symbol_print (stderr,
                       YY_ACCESSING_SYMBOL (+yyssp[yyi + 1 - yynrhs]),
                       &yyvsp[(yyi + 1) - (yynrhs)],
                       &(yylsp[(yyi + 1) - (yynrhs)]), scanner);
      YYFPRINTF (stderr, "\n");
    }
}

# define YY_REDUCE_PRINT(Rule)          \
do {                                    \
  if (yydebug)                          \
    yy_reduce_print (yyssp, yyvsp, yylsp, Rule, scanner); \
} while (0)

/* Nonzero means print parse trace.  It is left uninitialized so that
   multiple parsers can coexist.  */
int yydebug;
#else /* !YYDEBUG */
# define YYDPRINTF(Args) ((void) 0)
# define YY_SYMBOL_PRINT(Title, Kind, Value, Location)
# define YY_STACK_PRINT(Bottom, Top)
# define YY_REDUCE_PRINT(Rule)
#endif /* !YYDEBUG */


/* YYINITDEPTH -- initial size of the parser's stacks.  */
#ifndef YYINITDEPTH
# define YYINITDEPTH 200
#endif

/* YYMAXDEPTH -- maximum size the stacks can grow to (effective only
   if the built-in stack extension method is used).

   Do not make this value too large; the results are undefined if
   YYSTACK_ALLOC_MAXIMUM < YYSTACK_BYTES (YYMAXDEPTH)
   evaluated with infinite-precision integer arithmetic.  */

#ifndef YYMAXDEPTH
# define YYMAXDEPTH 10000
#endif


/* Context of a parse error.  */
typedef struct
{
  yy_state_t *yyssp;
  yysymbol_kind_t yytoken;
  YYLTYPE *yylloc;
} yypcontext_t;

/* Put in YYARG at most YYARGN of the expected tokens given the
   current YYCTX, and return the number of tokens stored in YYARG.  If
   YYARG is null, return the number of expected tokens (guaranteed to
   be less than YYNTOKENS).  Return YYENOMEM on memory exhaustion.
   Return 0 if there are more than YYARGN expected tokens, yet fill
   YYARG up to YYARGN. */
static int
yypcontext_expected_tokens (const yypcontext_t *yyctx,
                            yysymbol_kind_t yyarg[], int yyargn)
{
  /* Actual size of YYARG. */
  int yycount = 0;
  int yyn = yypact[+*yyctx->yyssp];
  if (!yypact_value_is_default (yyn))
    {
      /* Start YYX at -YYN if negative to avoid negative indexes in
         YYCHECK.  In other words, skip the first -YYN actions for
         this state because they are default actions.  */
      int yyxbegin = yyn < 0 ? -yyn : 0;
      /* Stay within bounds of both yycheck and yytname.  */
      int yychecklim = YYLAST - yyn + 1;
      int yyxend = yychecklim < YYNTOKENS ? yychecklim : YYNTOKENS;
      int yyx;
      for (yyx = yyxbegin; yyx < yyxend; ++yyx)
        if (yycheck[yyx + yyn] == yyx && yyx != YYSYMBOL_YYerror
            && !yytable_value_is_error (yytable[yyx + yyn]))
          {
            if (!yyarg)
              ++yycount;
            else if (yycount == yyargn)
              return 0;
            else
              yyarg[yycount++] = YY_CAST (yysymbol_kind_t, yyx);
          }
    }
  if (yyarg && yycount == 0 && 0 < yyargn)
    yyarg[0] = YYSYMBOL_YYEMPTY;
  return yycount;
}




#ifndef yystrlen
# if defined __GLIBC__ && defined _STRING_H
#  define yystrlen(S) (YY_CAST (YYPTRDIFF_T, strlen (S)))
# else
/* Return the length of YYSTR.  */
static YYPTRDIFF_T
yystrlen (const char *yystr)
{
  YYPTRDIFF_T yylen;
  for (yylen = 0; yystr[yylen]; yylen++)
    continue;
  return yylen;
}
# endif
#endif

#ifndef yystpcpy
# if defined __GLIBC__ && defined _STRING_H && defined _GNU_SOURCE
#  define yystpcpy stpcpy
# else
/* Copy YYSRC to YYDEST, returning the address of the terminating '\0' in
   YYDEST.  */
static char *
yystpcpy (char *yydest, const char *yysrc)
{
  char *yyd = yydest;
  const char *yys = yysrc;

  while ((*yyd++ = *yys++) != '\0')
    continue;

  return yyd - 1;
}
# endif
#endif



static int
yy_syntax_error_arguments (const yypcontext_t *yyctx,
                           yysymbol_kind_t yyarg[], int yyargn)
{
  /* Actual size of YYARG. */
  int yycount = 0;
  /* There are many possibilities here to consider:
     - If this state is a consistent state with a default action, then
       the only way this function was invoked is if the default action
       is an error action.  In that case, don't check for expected
       tokens because there are none.
     - The only way there can be no lookahead present (in yychar) is if
       this state is a consistent state with a default action.  Thus,
       detecting the absence of a lookahead is sufficient to determine
       that there is no unexpected or expected token to report.  In that
       case, just report a simple "syntax error".
     - Don't assume there isn't a lookahead just because this state is a
       consistent state with a default action.  There might have been a
       previous inconsistent state, consistent state with a non-default
       action, or user semantic action that manipulated yychar.
     - Of course, the expected token list depends on states to have
       correct lookahead information, and it depends on the parser not
       to perform extra reductions after fetching a lookahead from the
       scanner and before detecting a syntax error.  Thus, state merging
       (from LALR or IELR) and default reductions corrupt the expected
       token list.  However, the list is correct for canonical LR with
       one exception: it will still contain any token that will not be
       accepted due to an error action in a later state.
  */
  if (yyctx->yytoken != YYSYMBOL_YYEMPTY)
    {
      int yyn;
      if (yyarg)
        yyarg[yycount] = yyctx->yytoken;
      ++yycount;
      yyn = yypcontext_expected_tokens (yyctx,
                                        yyarg ? yyarg + 1 : yyarg, yyargn - 1);
      if (yyn == YYENOMEM)
        return YYENOMEM;
      else
        yycount += yyn;
    }
  return yycount;
}

/* Copy into *YYMSG, which is of size *YYMSG_ALLOC, an error message
   about the unexpected token YYTOKEN for the state stack whose top is
   YYSSP.

   Return 0 if *YYMSG was successfully written.  Return -1 if *YYMSG is
   not large enough to hold the message.  In that case, also set
   *YYMSG_ALLOC to the required number of bytes.  Return YYENOMEM if the
   required number of bytes is too large to store.  */
static int
yysyntax_error (YYPTRDIFF_T *yymsg_alloc, char **yymsg,
                const yypcontext_t *yyctx)
{
  enum { YYARGS_MAX = 5 };
  /* Internationalized format string. */
  const char *yyformat = YY_NULLPTR;
  /* Arguments of yyformat: reported tokens (one for the "unexpected",
     one per "expected"). */
  yysymbol_kind_t yyarg[YYARGS_MAX];
  /* Cumulated lengths of YYARG.  */
  YYPTRDIFF_T yysize = 0;

  /* Actual size of YYARG. */
  int yycount = yy_syntax_error_arguments (yyctx, yyarg, YYARGS_MAX);
  if (yycount == YYENOMEM)
    return YYENOMEM;

  switch (yycount)
    {
#define YYCASE_(N, S)                       \
      case N:                               \
        yyformat = S;                       \
        break
    default: /* Avoid compiler warnings. */
      YYCASE_(0, YY_("syntax error"));
      YYCASE_(1, YY_("syntax error, unexpected %s"));
      YYCASE_(2, YY_("syntax error, unexpected %s, expecting %s"));
      YYCASE_(3, YY_("syntax error, unexpected %s, expecting %s or %s"));
      YYCASE_(4, YY_("syntax error, unexpected %s, expecting %s or %s or %s"));
      YYCASE_(5, YY_("syntax error, unexpected %s, expecting %s or %s or %s or %s"));
#undef YYCASE_
    }

  /* Compute error message size.  Don't count the "%s"s, but reserve
     room for the terminator.  */
  yysize = yystrlen (yyformat) - 2 * yycount + 1;
  {
    int yyi;
    for (yyi = 0; yyi < yycount; ++yyi)
      {
        YYPTRDIFF_T yysize1
          = yysize + yystrlen (yysymbol_name (yyarg[yyi]));
        if (yysize <= yysize1 && yysize1 <= YYSTACK_ALLOC_MAXIMUM)
          yysize = yysize1;
        else
          return YYENOMEM;
      }
  }

  if (*yymsg_alloc < yysize)
    {
      *yymsg_alloc = 2 * yysize;
      if (! (yysize <= *yymsg_alloc
             && *yymsg_alloc <= YYSTACK_ALLOC_MAXIMUM))
        *yymsg_alloc = YYSTACK_ALLOC_MAXIMUM;
      return -1;
    }

  /* Avoid sprintf, as that infringes on the user's name space.
     Don't have undefined behavior even if the translation
     produced a string with the wrong number of "%s"s.  */
  {
    char *yyp = *yymsg;
    int yyi = 0;
    while ((*yyp = *yyformat) != '\0')
      if (*yyp == '%' && yyformat[1] == 's' && yyi < yycount)
        {
          yyp = yystpcpy (yyp, yysymbol_name (yyarg[yyi++]));
          yyformat += 2;
        }
      else
        {
          ++yyp;
          ++yyformat;
        }
  }
  return 0;
}


/*-----------------------------------------------.
| Release the memory associated to this symbol.  |
`-----------------------------------------------*/

static void
yydestruct (const char *yymsg,
            yysymbol_kind_t yykind, YYSTYPE *yyvaluep, YYLTYPE *yylocationp, yyscan_t scanner)
{
  YY_USE (yyvaluep);
  YY_USE (yylocationp);
  YY_USE (scanner);
  if (!yymsg)
    yymsg = "Deleting";
  YY_SYMBOL_PRINT (yymsg, yykind, yyvaluep, yylocationp);

  YY_IGNORE_MAYBE_UNINITIALIZED_BEGIN
  YY_USE (yykind);
  YY_IGNORE_MAYBE_UNINITIALIZED_END
}






/*----------.
| yyparse.  |
`----------*/

int
yyparse (yyscan_t scanner)
{
/* Lookahead token kind.  */
int yychar;


/* The semantic value of the lookahead symbol.  */
/* Default value used for initialization, for pacifying older GCCs
   or non-GCC compilers.  */
YY_INITIAL_VALUE (static YYSTYPE yyval_default;)
YYSTYPE yylval YY_INITIAL_VALUE (= yyval_default);

/* Location data for the lookahead symbol.  */
static YYLTYPE yyloc_default
# if defined YYLTYPE_IS_TRIVIAL && YYLTYPE_IS_TRIVIAL
  = { 1, 1, 1, 1 }
# endif
;
YYLTYPE yylloc = yyloc_default;

    /* Number of syntax errors so far.  */
    int yynerrs = 0;

    yy_state_fast_t yystate = 0;
    /* Number of tokens to shift before error messages enabled.  */
    int yyerrstatus = 0;

    /* Refer to the stacks through separate pointers, to allow yyoverflow
       to reallocate them elsewhere.  */

    /* Their size.  */
    YYPTRDIFF_T yystacksize = YYINITDEPTH;

    /* The state stack: array, bottom, top.  */
    yy_state_t yyssa[YYINITDEPTH];
    yy_state_t *yyss = yyssa;
    yy_state_t *yyssp = yyss;

    /* The semantic value stack: array, bottom, top.  */
    YYSTYPE yyvsa[YYINITDEPTH];
    YYSTYPE *yyvs = yyvsa;
    YYSTYPE *yyvsp = yyvs;

    /* The location stack: array, bottom, top.  */
    YYLTYPE yylsa[YYINITDEPTH];
    YYLTYPE *yyls = yylsa;
    YYLTYPE *yylsp = yyls;

  int yyn;
  /* The return value of yyparse.  */
  int yyresult;
  /* Lookahead symbol kind.  */
  yysymbol_kind_t yytoken = YYSYMBOL_YYEMPTY;
  /* The variables used to return semantic value and location from the
     action routines.  */
  YYSTYPE yyval;
  YYLTYPE yyloc;

  /* The locations where the error started and ended.  */
  YYLTYPE yyerror_range[3];

  /* Buffer for error messages, and its allocated size.  */
  char yymsgbuf[128];
  char *yymsg = yymsgbuf;
  YYPTRDIFF_T yymsg_alloc = sizeof yymsgbuf;

#define YYPOPSTACK(N)   (yyvsp -= (N), yyssp -= (N), yylsp -= (N))

  /* The number of symbols on the RHS of the reduced rule.
     Keep to zero when no symbol should be popped.  */
  int yylen = 0;

  YYDPRINTF ((stderr, "Starting parse\n"));

  yychar = YYEMPTY; /* Cause a token to be read.  */

  yylsp[0] = yylloc;
  goto yysetstate;


/*------------------------------------------------------------.
| yynewstate -- push a new state, which is found in yystate.  |
`------------------------------------------------------------*/
yynewstate:
  /* In all cases, when you get here, the value and location stacks
     have just been pushed.  So pushing a state here evens the stacks.  */
  yyssp++;


/*--------------------------------------------------------------------.
| yysetstate -- set current state (the top of the stack) to yystate.  |
`--------------------------------------------------------------------*/
yysetstate:
  YYDPRINTF ((stderr, "Entering state %d\n", yystate));
  YY_ASSERT (0 <= yystate && yystate < YYNSTATES);
  YY_IGNORE_USELESS_CAST_BEGIN
  *yyssp = YY_CAST (yy_state_t, yystate);
  YY_IGNORE_USELESS_CAST_END
  YY_STACK_PRINT (yyss, yyssp);

  if (yyss + yystacksize - 1 <= yyssp)
#if !defined yyoverflow && !defined YYSTACK_RELOCATE
    YYNOMEM;
#else
    {
      /* Get the current used size of the three stacks, in elements.  */
      YYPTRDIFF_T yysize = yyssp - yyss + 1;

# if defined yyoverflow
      {
        /* Give user a chance to reallocate the stack.  Use copies of
           these so that the &'s don't force the real ones into
           memory.  */
        yy_state_t *yyss1 = yyss;
        YYSTYPE *yyvs1 = yyvs;
        YYLTYPE *yyls1 = yyls;

        /* Each stack pointer address is followed by the size of the
           data in use in that stack, in bytes.  This used to be a
           conditional around just the two extra args, but that might
           be undefined if yyoverflow is a macro.  */
        yyoverflow (YY_("memory exhausted"),
                    &yyss1, yysize * YYSIZEOF (*yyssp),
                    &yyvs1, yysize * YYSIZEOF (*yyvsp),
                    &yyls1, yysize * YYSIZEOF (*yylsp),
                    &yystacksize);
        yyss = yyss1;
        yyvs = yyvs1;
        yyls = yyls1;
      }
# else /* defined YYSTACK_RELOCATE */
      /* Extend the stack our own way.  */
      if (YYMAXDEPTH <= yystacksize)
        YYNOMEM;
      yystacksize *= 2;
      if (YYMAXDEPTH < yystacksize)
        yystacksize = YYMAXDEPTH;

      {
        yy_state_t *yyss1 = yyss;
        union yyalloc *yyptr =
          YY_CAST (union yyalloc *,
                   YYSTACK_ALLOC (YY_CAST (YYSIZE_T, YYSTACK_BYTES (yystacksize))));
        if (! yyptr)
          YYNOMEM;
        YYSTACK_RELOCATE (yyss_alloc, yyss);
        YYSTACK_RELOCATE (yyvs_alloc, yyvs);
        YYSTACK_RELOCATE (yyls_alloc, yyls);
#  undef YYSTACK_RELOCATE
        if (yyss1 != yyssa)
          YYSTACK_FREE (yyss1);
      }
# endif

      yyssp = yyss + yysize - 1;
      yyvsp = yyvs + yysize - 1;
      yylsp = yyls + yysize - 1;

      YY_IGNORE_USELESS_CAST_BEGIN
      YYDPRINTF ((stderr, "Stack size increased to %ld\n",
                  YY_CAST (long, yystacksize)));
      YY_IGNORE_USELESS_CAST_END

      if (yyss + yystacksize - 1 <= yyssp)
        YYABORT;
    }
#endif /* !defined yyoverflow && !defined YYSTACK_RELOCATE */


  if (yystate == YYFINAL)
    YYACCEPT;

  goto yybackup;


/*-----------.
| yybackup.  |
`-----------*/
yybackup:
  /* Do appropriate processing given the current state.  Read a
     lookahead token if we need one and don't already have one.  */

  /* First try to decide what to do without reference to lookahead token.  */
  yyn = yypact[yystate];
  if (yypact_value_is_default (yyn))
    goto yydefault;

  /* Not known => get a lookahead token if don't already have one.  */

  /* YYCHAR is either empty, or end-of-input, or a valid lookahead.  */
  if (yychar == YYEMPTY)
    {
      YYDPRINTF ((stderr, "Reading a token\n"));
      yychar = yylex (&yylval, &yylloc, scanner);
    }

  if (yychar <= YYEOF)
    {
      yychar = YYEOF;
      yytoken = YYSYMBOL_YYEOF;
      YYDPRINTF ((stderr, "Now at end of input.\n"));
    }
  else if (yychar == YYerror)
    {
      /* The scanner already issued an error message, process directly
         to error recovery.  But do not keep the error token as
         lookahead, it is too special and may lead us to an endless
         loop in error recovery. */
      yychar = YYUNDEF;
      yytoken = YYSYMBOL_YYerror;
      yyerror_range[1] = yylloc;
      goto yyerrlab1;
    }
  else
    {
      yytoken = YYTRANSLATE (yychar);
      YY_SYMBOL_PRINT ("Next token is", yytoken, &yylval, &yylloc);
    }

  /* If the proper action on seeing token YYTOKEN is to reduce or to
     detect an error, take that action.  */
  yyn += yytoken;
  if (yyn < 0 || YYLAST < yyn || yycheck[yyn] != yytoken)
    goto yydefault;
  yyn = yytable[yyn];
  if (yyn <= 0)
    {
      if (yytable_value_is_error (yyn))
        goto yyerrlab;
      yyn = -yyn;
      goto yyreduce;
    }

  /* Count tokens shifted since error; after three, turn off error
     status.  */
  if (yyerrstatus)
    yyerrstatus--;

  /* Shift the lookahead token.  */
  YY_SYMBOL_PRINT ("Shifting", yytoken, &yylval, &yylloc);
  yystate = yyn;
  YY_IGNORE_MAYBE_UNINITIALIZED_BEGIN
  *++yyvsp = yylval;
  YY_IGNORE_MAYBE_UNINITIALIZED_END
  *++yylsp = yylloc;

  /* Discard the shifted token.  */
  yychar = YYEMPTY;
  goto yynewstate;


/*-----------------------------------------------------------.
| yydefault -- do the default action for the current state.  |
`-----------------------------------------------------------*/
yydefault:
  yyn = yydefact[yystate];
  if (yyn == 0)
    goto yyerrlab;
  goto yyreduce;


/*-----------------------------.
| yyreduce -- do a reduction.  |
`-----------------------------*/
yyreduce:
  /* yyn is the number of a rule to reduce with.  */
  yylen = yyr2[yyn];

  /* If YYLEN is nonzero, implement the default value of the action:
     '$$ = $1'.

     Otherwise, the following line sets YYVAL to garbage.
     This behavior is undocumented and Bison
     users should not rely upon it.  Assigning to YYVAL
     unconditionally makes the parser a bit smaller, and it avoids a
     GCC warning that YYVAL may be used uninitialized.  */
  yyval = yyvsp[1-yylen];

  /* Default location. */
  YYLLOC_DEFAULT (yyloc, (yylsp - yylen), yylen);
  yyerror_range[1] = yyloc;
  YY_REDUCE_PRINT (yyn);
  switch (yyn)
    {
  case 2: /* start: START_PROGRAM items  */
#line 70 "compiler/parser.y"
                            { ast_list *out = yyget_extra(scanner)->items;
                              for (int i = 0; i < (yyvsp[0].list).n; i++) ast_append(AR, out, (yyvsp[0].list).items[i]); }
#line 1708 "build-old/gen/parser.c"
    break;

  case 3: /* start: START_EXPR expr  */
#line 72 "compiler/parser.y"
                            { yyget_extra(scanner)->expr = (yyvsp[0].node); }
#line 1714 "build-old/gen/parser.c"
    break;

  case 4: /* items: %empty  */
#line 76 "compiler/parser.y"
                            { memset(&(yyval.list), 0, sizeof (yyval.list)); }
#line 1720 "build-old/gen/parser.c"
    break;

  case 5: /* items: items item  */
#line 77 "compiler/parser.y"
                            { (yyval.list) = (yyvsp[-1].list); if ((yyvsp[0].node)) ast_append(AR, &(yyval.list), (yyvsp[0].node)); }
#line 1726 "build-old/gen/parser.c"
    break;

  case 6: /* item: "`import`" "string" ';'  */
#line 81 "compiler/parser.y"
                              { (yyval.node) = NODE(AST_IMPORT, (yylsp[-1])); (yyval.node)->str = (yyvsp[-1].str); }
#line 1732 "build-old/gen/parser.c"
    break;

  case 7: /* item: "`gate`" "name" '(' formals_opt ')' qformals block  */
#line 83 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_GATE, (yylsp[-5])); (yyval.node)->name = (yyvsp[-5].str); (yyval.node)->list = (yyvsp[-3].list); (yyval.node)->list2 = (yyvsp[-1].list); (yyval.node)->a = (yyvsp[0].node); }
#line 1738 "build-old/gen/parser.c"
    break;

  case 8: /* item: "`gate`" "name" qformals block  */
#line 85 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_GATE, (yylsp[-2])); (yyval.node)->name = (yyvsp[-2].str); (yyval.node)->list2 = (yyvsp[-1].list); (yyval.node)->a = (yyvsp[0].node); }
#line 1744 "build-old/gen/parser.c"
    break;

  case 9: /* item: "`circuit`" "name" '(' formals_opt ')' block  */
#line 87 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_CIRCUIT, (yylsp[-4])); (yyval.node)->name = (yyvsp[-4].str); (yyval.node)->list = (yyvsp[-2].list); (yyval.node)->a = (yyvsp[0].node); }
#line 1750 "build-old/gen/parser.c"
    break;

  case 10: /* item: "`circuit`" "name" block  */
#line 88 "compiler/parser.y"
                              { (yyval.node) = NODE(AST_CIRCUIT, (yylsp[-1])); (yyval.node)->name = (yyvsp[-1].str); (yyval.node)->a = (yyvsp[0].node); }
#line 1756 "build-old/gen/parser.c"
    break;

  case 11: /* item: "`model`" "name" '(' formals_opt ')' block  */
#line 90 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_MODEL, (yylsp[-4])); (yyval.node)->name = (yyvsp[-4].str); (yyval.node)->list = (yyvsp[-2].list); (yyval.node)->a = (yyvsp[0].node); }
#line 1762 "build-old/gen/parser.c"
    break;

  case 12: /* item: "`model`" "name" block  */
#line 91 "compiler/parser.y"
                              { (yyval.node) = NODE(AST_MODEL, (yylsp[-1])); (yyval.node)->name = (yyvsp[-1].str); (yyval.node)->a = (yyvsp[0].node); }
#line 1768 "build-old/gen/parser.c"
    break;

  case 13: /* item: "`experiment`" "name" block  */
#line 93 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_EXPERIMENT, (yylsp[-1])); (yyval.node)->name = (yyvsp[-1].str); (yyval.node)->a = (yyvsp[0].node); }
#line 1774 "build-old/gen/parser.c"
    break;

  case 14: /* item: error '}'  */
#line 94 "compiler/parser.y"
                            { (yyval.node) = NULL; yyerrok; }
#line 1780 "build-old/gen/parser.c"
    break;

  case 15: /* item: error ';'  */
#line 95 "compiler/parser.y"
                            { (yyval.node) = NULL; yyerrok; }
#line 1786 "build-old/gen/parser.c"
    break;

  case 16: /* formals_opt: %empty  */
#line 99 "compiler/parser.y"
                            { memset(&(yyval.list), 0, sizeof (yyval.list)); }
#line 1792 "build-old/gen/parser.c"
    break;

  case 18: /* formals: formal  */
#line 104 "compiler/parser.y"
                            { memset(&(yyval.list), 0, sizeof (yyval.list)); ast_append(AR, &(yyval.list), (yyvsp[0].node)); }
#line 1798 "build-old/gen/parser.c"
    break;

  case 19: /* formals: formals ',' formal  */
#line 105 "compiler/parser.y"
                            { (yyval.list) = (yyvsp[-2].list); ast_append(AR, &(yyval.list), (yyvsp[0].node)); }
#line 1804 "build-old/gen/parser.c"
    break;

  case 20: /* formal: "`int`" "name" default_opt  */
#line 109 "compiler/parser.y"
                                  { (yyval.node) = NODE(AST_FORMAL, (yylsp[-1])); (yyval.node)->name = (yyvsp[-1].str); (yyval.node)->op = FORMAL_INT; (yyval.node)->a = (yyvsp[0].node); }
#line 1810 "build-old/gen/parser.c"
    break;

  case 21: /* formal: "`float`" "name" default_opt  */
#line 110 "compiler/parser.y"
                                  { (yyval.node) = NODE(AST_FORMAL, (yylsp[-1])); (yyval.node)->name = (yyvsp[-1].str); (yyval.node)->op = FORMAL_FLOAT; (yyval.node)->a = (yyvsp[0].node); }
#line 1816 "build-old/gen/parser.c"
    break;

  case 22: /* formal: "`gate`" "name" default_opt  */
#line 111 "compiler/parser.y"
                                  { (yyval.node) = NODE(AST_FORMAL, (yylsp[-1])); (yyval.node)->name = (yyvsp[-1].str); (yyval.node)->op = FORMAL_GATE; (yyval.node)->a = (yyvsp[0].node); }
#line 1822 "build-old/gen/parser.c"
    break;

  case 23: /* formal: "name" dims_opt default_opt  */
#line 113 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_FORMAL, (yylsp[-2])); (yyval.node)->name = (yyvsp[-2].str); (yyval.node)->list = (yyvsp[-1].list);
                              (yyval.node)->op = (yyvsp[-1].list).n ? FORMAL_TENSOR : FORMAL_ANGLE; (yyval.node)->a = (yyvsp[0].node); }
#line 1829 "build-old/gen/parser.c"
    break;

  case 24: /* default_opt: %empty  */
#line 118 "compiler/parser.y"
                            { (yyval.node) = NULL; }
#line 1835 "build-old/gen/parser.c"
    break;

  case 25: /* default_opt: '=' expr  */
#line 119 "compiler/parser.y"
                            { (yyval.node) = (yyvsp[0].node); }
#line 1841 "build-old/gen/parser.c"
    break;

  case 26: /* qformals: qformal  */
#line 123 "compiler/parser.y"
                            { memset(&(yyval.list), 0, sizeof (yyval.list)); ast_append(AR, &(yyval.list), (yyvsp[0].node)); }
#line 1847 "build-old/gen/parser.c"
    break;

  case 27: /* qformals: qformals ',' qformal  */
#line 124 "compiler/parser.y"
                            { (yyval.list) = (yyvsp[-2].list); ast_append(AR, &(yyval.list), (yyvsp[0].node)); }
#line 1853 "build-old/gen/parser.c"
    break;

  case 28: /* qformal: "name"  */
#line 128 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_QFORMAL, (yylsp[0])); (yyval.node)->name = (yyvsp[0].str); }
#line 1859 "build-old/gen/parser.c"
    break;

  case 29: /* qformal: "name" '[' expr ']'  */
#line 129 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_QFORMAL, (yylsp[-3])); (yyval.node)->name = (yyvsp[-3].str); (yyval.node)->a = (yyvsp[-1].node); }
#line 1865 "build-old/gen/parser.c"
    break;

  case 30: /* dims_opt: %empty  */
#line 133 "compiler/parser.y"
                            { memset(&(yyval.list), 0, sizeof (yyval.list)); }
#line 1871 "build-old/gen/parser.c"
    break;

  case 32: /* dims: '[' expr ']'  */
#line 138 "compiler/parser.y"
                            { memset(&(yyval.list), 0, sizeof (yyval.list)); ast_append(AR, &(yyval.list), (yyvsp[-1].node)); }
#line 1877 "build-old/gen/parser.c"
    break;

  case 33: /* dims: dims '[' expr ']'  */
#line 139 "compiler/parser.y"
                            { (yyval.list) = (yyvsp[-3].list); ast_append(AR, &(yyval.list), (yyvsp[-1].node)); }
#line 1883 "build-old/gen/parser.c"
    break;

  case 34: /* block: '{' stmts '}'  */
#line 143 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_BLOCK, (yylsp[-2])); (yyval.node)->list = (yyvsp[-1].list); }
#line 1889 "build-old/gen/parser.c"
    break;

  case 35: /* stmts: %empty  */
#line 147 "compiler/parser.y"
                            { memset(&(yyval.list), 0, sizeof (yyval.list)); }
#line 1895 "build-old/gen/parser.c"
    break;

  case 36: /* stmts: stmts stmt  */
#line 148 "compiler/parser.y"
                            { (yyval.list) = (yyvsp[-1].list); if ((yyvsp[0].node)) ast_append(AR, &(yyval.list), (yyvsp[0].node)); }
#line 1901 "build-old/gen/parser.c"
    break;

  case 37: /* stmt: "`qubits`" "name" '[' expr ']' ';'  */
#line 153 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_QUBITS, (yylsp[-4])); (yyval.node)->name = (yyvsp[-4].str); (yyval.node)->a = (yyvsp[-2].node); }
#line 1907 "build-old/gen/parser.c"
    break;

  case 38: /* stmt: "`input`" "name" dims ';'  */
#line 155 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_INPUT, (yylsp[-2])); (yyval.node)->name = (yyvsp[-2].str); (yyval.node)->list = (yyvsp[-1].list); }
#line 1913 "build-old/gen/parser.c"
    break;

  case 39: /* stmt: "`param`" "name" dims_opt init_opt ';'  */
#line 157 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_PARAM, (yylsp[-3])); (yyval.node)->name = (yyvsp[-3].str); (yyval.node)->list = (yyvsp[-2].list); (yyval.node)->a = (yyvsp[-1].node); }
#line 1919 "build-old/gen/parser.c"
    break;

  case 40: /* stmt: "`let`" "name" '=' expr ';'  */
#line 159 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_LET, (yylsp[-3])); (yyval.node)->name = (yyvsp[-3].str); (yyval.node)->a = (yyvsp[-1].node); }
#line 1925 "build-old/gen/parser.c"
    break;

  case 41: /* stmt: "`for`" "name" "`in`" expr "`..`" expr block  */
#line 161 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_FOR, (yylsp[-6])); (yyval.node)->name = (yyvsp[-5].str); (yyval.node)->a = (yyvsp[-3].node); (yyval.node)->b = (yyvsp[-1].node); (yyval.node)->c = (yyvsp[0].node); }
#line 1931 "build-old/gen/parser.c"
    break;

  case 42: /* stmt: "`repeat`" expr block  */
#line 162 "compiler/parser.y"
                              { (yyval.node) = NODE(AST_REPEAT, (yylsp[-2])); (yyval.node)->a = (yyvsp[-1].node); (yyval.node)->c = (yyvsp[0].node); }
#line 1937 "build-old/gen/parser.c"
    break;

  case 43: /* stmt: "`repeat`" expr "`as`" "name" block  */
#line 164 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_REPEAT, (yylsp[-4])); (yyval.node)->a = (yyvsp[-3].node); (yyval.node)->name = (yyvsp[-1].str); (yyval.node)->c = (yyvsp[0].node); }
#line 1943 "build-old/gen/parser.c"
    break;

  case 44: /* stmt: "`if`" expr block else_part  */
#line 166 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_IF, (yylsp[-3])); (yyval.node)->a = (yyvsp[-2].node); (yyval.node)->b = (yyvsp[-1].node); (yyval.node)->c = (yyvsp[0].node); }
#line 1949 "build-old/gen/parser.c"
    break;

  case 45: /* stmt: "`expval`" expr ';'  */
#line 167 "compiler/parser.y"
                              { (yyval.node) = NODE(AST_EXPVAL, (yylsp[-2])); (yyval.node)->a = (yyvsp[-1].node); }
#line 1955 "build-old/gen/parser.c"
    break;

  case 46: /* stmt: "name" '=' expr ';'  */
#line 168 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_ASSIGN, (yylsp[-3])); (yyval.node)->name = (yyvsp[-3].str); (yyval.node)->a = (yyvsp[-1].node); }
#line 1961 "build-old/gen/parser.c"
    break;

  case 47: /* stmt: "`model`" '=' expr ';'  */
#line 169 "compiler/parser.y"
                             { (yyval.node) = NODE(AST_ASSIGN, (yylsp[-3])); (yyval.node)->name = "model"; (yyval.node)->a = (yyvsp[-1].node); }
#line 1967 "build-old/gen/parser.c"
    break;

  case 48: /* stmt: "name" '(' args_opt ')' qargs_opt ';'  */
#line 171 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_APPLY, (yylsp[-5])); (yyval.node)->name = (yyvsp[-5].str); (yyval.node)->list = (yyvsp[-3].list); (yyval.node)->list2 = (yyvsp[-1].list); (yyval.node)->flag = 1; }
#line 1973 "build-old/gen/parser.c"
    break;

  case 49: /* stmt: "name" qargs ';'  */
#line 172 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_APPLY, (yylsp[-2])); (yyval.node)->name = (yyvsp[-2].str); (yyval.node)->list2 = (yyvsp[-1].list); }
#line 1979 "build-old/gen/parser.c"
    break;

  case 50: /* stmt: "name" ';'  */
#line 173 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_APPLY, (yylsp[-1])); (yyval.node)->name = (yyvsp[-1].str); }
#line 1985 "build-old/gen/parser.c"
    break;

  case 51: /* stmt: "`quantum`" "name" '(' args_opt ')' ';'  */
#line 175 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_APPLY, (yylsp[-4])); (yyval.node)->name = (yyvsp[-4].str); (yyval.node)->list = (yyvsp[-2].list); (yyval.node)->op = 1; (yyval.node)->flag = 1; }
#line 1991 "build-old/gen/parser.c"
    break;

  case 52: /* stmt: "`quantum`" "name" ';'  */
#line 176 "compiler/parser.y"
                              { (yyval.node) = NODE(AST_APPLY, (yylsp[-1])); (yyval.node)->name = (yyvsp[-1].str); (yyval.node)->op = 1; }
#line 1997 "build-old/gen/parser.c"
    break;

  case 53: /* stmt: error ';'  */
#line 177 "compiler/parser.y"
                            { (yyval.node) = NULL; yyerrok; }
#line 2003 "build-old/gen/parser.c"
    break;

  case 54: /* else_part: %empty  */
#line 181 "compiler/parser.y"
                            { (yyval.node) = NULL; }
#line 2009 "build-old/gen/parser.c"
    break;

  case 55: /* else_part: "`else`" block  */
#line 182 "compiler/parser.y"
                              { (yyval.node) = (yyvsp[0].node); }
#line 2015 "build-old/gen/parser.c"
    break;

  case 56: /* else_part: "`else`" stmt  */
#line 183 "compiler/parser.y"
                              { (yyval.node) = (yyvsp[0].node); }
#line 2021 "build-old/gen/parser.c"
    break;

  case 57: /* init_opt: %empty  */
#line 187 "compiler/parser.y"
                            { (yyval.node) = NULL; }
#line 2027 "build-old/gen/parser.c"
    break;

  case 58: /* init_opt: "`init`" expr  */
#line 188 "compiler/parser.y"
                              { (yyval.node) = (yyvsp[0].node); }
#line 2033 "build-old/gen/parser.c"
    break;

  case 59: /* qargs_opt: %empty  */
#line 192 "compiler/parser.y"
                            { memset(&(yyval.list), 0, sizeof (yyval.list)); }
#line 2039 "build-old/gen/parser.c"
    break;

  case 61: /* qargs: qref  */
#line 197 "compiler/parser.y"
                            { memset(&(yyval.list), 0, sizeof (yyval.list)); ast_append(AR, &(yyval.list), (yyvsp[0].node)); }
#line 2045 "build-old/gen/parser.c"
    break;

  case 62: /* qargs: qargs ',' qref  */
#line 198 "compiler/parser.y"
                            { (yyval.list) = (yyvsp[-2].list); ast_append(AR, &(yyval.list), (yyvsp[0].node)); }
#line 2051 "build-old/gen/parser.c"
    break;

  case 63: /* qref: "name"  */
#line 203 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_IDENT, (yylsp[0])); (yyval.node)->name = (yyvsp[0].str); }
#line 2057 "build-old/gen/parser.c"
    break;

  case 64: /* qref: qref '[' expr ']'  */
#line 204 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_INDEX, (yylsp[-1])); (yyval.node)->a = (yyvsp[-3].node); (yyval.node)->b = (yyvsp[-1].node); }
#line 2063 "build-old/gen/parser.c"
    break;

  case 65: /* exprs_opt: %empty  */
#line 208 "compiler/parser.y"
                            { memset(&(yyval.list), 0, sizeof (yyval.list)); }
#line 2069 "build-old/gen/parser.c"
    break;

  case 67: /* exprs: expr  */
#line 213 "compiler/parser.y"
                            { memset(&(yyval.list), 0, sizeof (yyval.list)); ast_append(AR, &(yyval.list), (yyvsp[0].node)); }
#line 2075 "build-old/gen/parser.c"
    break;

  case 68: /* exprs: exprs ',' expr  */
#line 214 "compiler/parser.y"
                            { (yyval.list) = (yyvsp[-2].list); ast_append(AR, &(yyval.list), (yyvsp[0].node)); }
#line 2081 "build-old/gen/parser.c"
    break;

  case 69: /* args_opt: %empty  */
#line 218 "compiler/parser.y"
                            { memset(&(yyval.list), 0, sizeof (yyval.list)); }
#line 2087 "build-old/gen/parser.c"
    break;

  case 71: /* args: arg  */
#line 223 "compiler/parser.y"
                            { memset(&(yyval.list), 0, sizeof (yyval.list)); ast_append(AR, &(yyval.list), (yyvsp[0].node)); }
#line 2093 "build-old/gen/parser.c"
    break;

  case 72: /* args: args ',' arg  */
#line 224 "compiler/parser.y"
                            { (yyval.list) = (yyvsp[-2].list); ast_append(AR, &(yyval.list), (yyvsp[0].node)); }
#line 2099 "build-old/gen/parser.c"
    break;

  case 74: /* arg: "name" '=' expr  */
#line 229 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_NAMED, (yylsp[-2])); (yyval.node)->name = (yyvsp[-2].str); (yyval.node)->a = (yyvsp[0].node); }
#line 2105 "build-old/gen/parser.c"
    break;

  case 75: /* arg: "`init`" '=' expr  */
#line 230 "compiler/parser.y"
                              { (yyval.node) = NODE(AST_NAMED, (yylsp[-2])); (yyval.node)->name = "init"; (yyval.node)->a = (yyvsp[0].node); }
#line 2111 "build-old/gen/parser.c"
    break;

  case 76: /* arg: "`in`" '=' expr  */
#line 231 "compiler/parser.y"
                              { (yyval.node) = NODE(AST_NAMED, (yylsp[-2])); (yyval.node)->name = "in"; (yyval.node)->a = (yyvsp[0].node); }
#line 2117 "build-old/gen/parser.c"
    break;

  case 78: /* expr: expr '+' expr  */
#line 236 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_BINOP, (yylsp[-1])); (yyval.node)->op = '+'; (yyval.node)->a = (yyvsp[-2].node); (yyval.node)->b = (yyvsp[0].node); }
#line 2123 "build-old/gen/parser.c"
    break;

  case 79: /* expr: expr '-' expr  */
#line 237 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_BINOP, (yylsp[-1])); (yyval.node)->op = '-'; (yyval.node)->a = (yyvsp[-2].node); (yyval.node)->b = (yyvsp[0].node); }
#line 2129 "build-old/gen/parser.c"
    break;

  case 80: /* expr: expr '*' expr  */
#line 238 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_BINOP, (yylsp[-1])); (yyval.node)->op = '*'; (yyval.node)->a = (yyvsp[-2].node); (yyval.node)->b = (yyvsp[0].node); }
#line 2135 "build-old/gen/parser.c"
    break;

  case 81: /* expr: expr '/' expr  */
#line 239 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_BINOP, (yylsp[-1])); (yyval.node)->op = '/'; (yyval.node)->a = (yyvsp[-2].node); (yyval.node)->b = (yyvsp[0].node); }
#line 2141 "build-old/gen/parser.c"
    break;

  case 82: /* expr: expr '%' expr  */
#line 240 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_BINOP, (yylsp[-1])); (yyval.node)->op = '%'; (yyval.node)->a = (yyvsp[-2].node); (yyval.node)->b = (yyvsp[0].node); }
#line 2147 "build-old/gen/parser.c"
    break;

  case 83: /* expr: expr '@' expr  */
#line 241 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_BINOP, (yylsp[-1])); (yyval.node)->op = '@'; (yyval.node)->a = (yyvsp[-2].node); (yyval.node)->b = (yyvsp[0].node); }
#line 2153 "build-old/gen/parser.c"
    break;

  case 84: /* expr: expr "`**`" expr  */
#line 242 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_BINOP, (yylsp[-1])); (yyval.node)->op = AST_OP_POW; (yyval.node)->a = (yyvsp[-2].node); (yyval.node)->b = (yyvsp[0].node); }
#line 2159 "build-old/gen/parser.c"
    break;

  case 85: /* expr: expr '<' expr  */
#line 243 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_BINOP, (yylsp[-1])); (yyval.node)->op = '<'; (yyval.node)->a = (yyvsp[-2].node); (yyval.node)->b = (yyvsp[0].node); }
#line 2165 "build-old/gen/parser.c"
    break;

  case 86: /* expr: expr '>' expr  */
#line 244 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_BINOP, (yylsp[-1])); (yyval.node)->op = '>'; (yyval.node)->a = (yyvsp[-2].node); (yyval.node)->b = (yyvsp[0].node); }
#line 2171 "build-old/gen/parser.c"
    break;

  case 87: /* expr: expr "`<=`" expr  */
#line 245 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_BINOP, (yylsp[-1])); (yyval.node)->op = AST_OP_LE; (yyval.node)->a = (yyvsp[-2].node); (yyval.node)->b = (yyvsp[0].node); }
#line 2177 "build-old/gen/parser.c"
    break;

  case 88: /* expr: expr "`>=`" expr  */
#line 246 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_BINOP, (yylsp[-1])); (yyval.node)->op = AST_OP_GE; (yyval.node)->a = (yyvsp[-2].node); (yyval.node)->b = (yyvsp[0].node); }
#line 2183 "build-old/gen/parser.c"
    break;

  case 89: /* expr: expr "`==`" expr  */
#line 247 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_BINOP, (yylsp[-1])); (yyval.node)->op = AST_OP_EQ; (yyval.node)->a = (yyvsp[-2].node); (yyval.node)->b = (yyvsp[0].node); }
#line 2189 "build-old/gen/parser.c"
    break;

  case 90: /* expr: expr "`!=`" expr  */
#line 248 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_BINOP, (yylsp[-1])); (yyval.node)->op = AST_OP_NE; (yyval.node)->a = (yyvsp[-2].node); (yyval.node)->b = (yyvsp[0].node); }
#line 2195 "build-old/gen/parser.c"
    break;

  case 91: /* expr: expr "`&&`" expr  */
#line 249 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_BINOP, (yylsp[-1])); (yyval.node)->op = AST_OP_AND; (yyval.node)->a = (yyvsp[-2].node); (yyval.node)->b = (yyvsp[0].node); }
#line 2201 "build-old/gen/parser.c"
    break;

  case 92: /* expr: expr "`||`" expr  */
#line 250 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_BINOP, (yylsp[-1])); (yyval.node)->op = AST_OP_OR; (yyval.node)->a = (yyvsp[-2].node); (yyval.node)->b = (yyvsp[0].node); }
#line 2207 "build-old/gen/parser.c"
    break;

  case 93: /* expr: '-' expr  */
#line 251 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_UNOP, (yylsp[-1])); (yyval.node)->op = '-'; (yyval.node)->a = (yyvsp[0].node); }
#line 2213 "build-old/gen/parser.c"
    break;

  case 94: /* expr: '!' expr  */
#line 252 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_UNOP, (yylsp[-1])); (yyval.node)->op = '!'; (yyval.node)->a = (yyvsp[0].node); }
#line 2219 "build-old/gen/parser.c"
    break;

  case 95: /* primary: "integer"  */
#line 256 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_NUM, (yylsp[0])); (yyval.node)->ival = (yyvsp[0].ival); (yyval.node)->num = (double)(yyvsp[0].ival); (yyval.node)->op = 1; }
#line 2225 "build-old/gen/parser.c"
    break;

  case 96: /* primary: "number"  */
#line 257 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_NUM, (yylsp[0])); (yyval.node)->num = (yyvsp[0].num); }
#line 2231 "build-old/gen/parser.c"
    break;

  case 97: /* primary: "string"  */
#line 258 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_STR, (yylsp[0])); (yyval.node)->str = (yyvsp[0].str); }
#line 2237 "build-old/gen/parser.c"
    break;

  case 98: /* primary: "name"  */
#line 259 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_IDENT, (yylsp[0])); (yyval.node)->name = (yyvsp[0].str); }
#line 2243 "build-old/gen/parser.c"
    break;

  case 99: /* primary: "name" '(' args_opt ')'  */
#line 261 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_CALL, (yylsp[-3])); (yyval.node)->name = (yyvsp[-3].str); (yyval.node)->list = (yyvsp[-1].list); }
#line 2249 "build-old/gen/parser.c"
    break;

  case 100: /* primary: primary '[' expr ']'  */
#line 262 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_INDEX, (yylsp[-1])); (yyval.node)->a = (yyvsp[-3].node); (yyval.node)->b = (yyvsp[-1].node); }
#line 2255 "build-old/gen/parser.c"
    break;

  case 101: /* primary: '[' exprs_opt ']'  */
#line 263 "compiler/parser.y"
                            { (yyval.node) = NODE(AST_LIST, (yylsp[-2])); (yyval.node)->list = (yyvsp[-1].list); }
#line 2261 "build-old/gen/parser.c"
    break;

  case 102: /* primary: '(' expr ')'  */
#line 264 "compiler/parser.y"
                            { (yyval.node) = (yyvsp[-1].node); }
#line 2267 "build-old/gen/parser.c"
    break;


#line 2271 "build-old/gen/parser.c"

      default: break;
    }
  /* User semantic actions sometimes alter yychar, and that requires
     that yytoken be updated with the new translation.  We take the
     approach of translating immediately before every use of yytoken.
     One alternative is translating here after every semantic action,
     but that translation would be missed if the semantic action invokes
     YYABORT, YYACCEPT, or YYERROR immediately after altering yychar or
     if it invokes YYBACKUP.  In the case of YYABORT or YYACCEPT, an
     incorrect destructor might then be invoked immediately.  In the
     case of YYERROR or YYBACKUP, subsequent parser actions might lead
     to an incorrect destructor call or verbose syntax error message
     before the lookahead is translated.  */
  YY_SYMBOL_PRINT ("-> $$ =", YY_CAST (yysymbol_kind_t, yyr1[yyn]), &yyval, &yyloc);

  YYPOPSTACK (yylen);
  yylen = 0;

  *++yyvsp = yyval;
  *++yylsp = yyloc;

  /* Now 'shift' the result of the reduction.  Determine what state
     that goes to, based on the state we popped back to and the rule
     number reduced by.  */
  {
    const int yylhs = yyr1[yyn] - YYNTOKENS;
    const int yyi = yypgoto[yylhs] + *yyssp;
    yystate = (0 <= yyi && yyi <= YYLAST && yycheck[yyi] == *yyssp
               ? yytable[yyi]
               : yydefgoto[yylhs]);
  }

  goto yynewstate;


/*--------------------------------------.
| yyerrlab -- here on detecting error.  |
`--------------------------------------*/
yyerrlab:
  /* Make sure we have latest lookahead translation.  See comments at
     user semantic actions for why this is necessary.  */
  yytoken = yychar == YYEMPTY ? YYSYMBOL_YYEMPTY : YYTRANSLATE (yychar);
  /* If not already recovering from an error, report this error.  */
  if (!yyerrstatus)
    {
      ++yynerrs;
      {
        yypcontext_t yyctx
          = {yyssp, yytoken, &yylloc};
        char const *yymsgp = YY_("syntax error");
        int yysyntax_error_status;
        yysyntax_error_status = yysyntax_error (&yymsg_alloc, &yymsg, &yyctx);
        if (yysyntax_error_status == 0)
          yymsgp = yymsg;
        else if (yysyntax_error_status == -1)
          {
            if (yymsg != yymsgbuf)
              YYSTACK_FREE (yymsg);
            yymsg = YY_CAST (char *,
                             YYSTACK_ALLOC (YY_CAST (YYSIZE_T, yymsg_alloc)));
            if (yymsg)
              {
                yysyntax_error_status
                  = yysyntax_error (&yymsg_alloc, &yymsg, &yyctx);
                yymsgp = yymsg;
              }
            else
              {
                yymsg = yymsgbuf;
                yymsg_alloc = sizeof yymsgbuf;
                yysyntax_error_status = YYENOMEM;
              }
          }
        yyerror (&yylloc, scanner, yymsgp);
        if (yysyntax_error_status == YYENOMEM)
          YYNOMEM;
      }
    }

  yyerror_range[1] = yylloc;
  if (yyerrstatus == 3)
    {
      /* If just tried and failed to reuse lookahead token after an
         error, discard it.  */

      if (yychar <= YYEOF)
        {
          /* Return failure if at end of input.  */
          if (yychar == YYEOF)
            YYABORT;
        }
      else
        {
          yydestruct ("Error: discarding",
                      yytoken, &yylval, &yylloc, scanner);
          yychar = YYEMPTY;
        }
    }

  /* Else will try to reuse lookahead token after shifting the error
     token.  */
  goto yyerrlab1;


/*---------------------------------------------------.
| yyerrorlab -- error raised explicitly by YYERROR.  |
`---------------------------------------------------*/
yyerrorlab:
  /* Pacify compilers when the user code never invokes YYERROR and the
     label yyerrorlab therefore never appears in user code.  */
  if (0)
    YYERROR;
  ++yynerrs;

  /* Do not reclaim the symbols of the rule whose action triggered
     this YYERROR.  */
  YYPOPSTACK (yylen);
  yylen = 0;
  YY_STACK_PRINT (yyss, yyssp);
  yystate = *yyssp;
  goto yyerrlab1;


/*-------------------------------------------------------------.
| yyerrlab1 -- common code for both syntax error and YYERROR.  |
`-------------------------------------------------------------*/
yyerrlab1:
  yyerrstatus = 3;      /* Each real token shifted decrements this.  */

  /* Pop stack until we find a state that shifts the error token.  */
  for (;;)
    {
      yyn = yypact[yystate];
      if (!yypact_value_is_default (yyn))
        {
          yyn += YYSYMBOL_YYerror;
          if (0 <= yyn && yyn <= YYLAST && yycheck[yyn] == YYSYMBOL_YYerror)
            {
              yyn = yytable[yyn];
              if (0 < yyn)
                break;
            }
        }

      /* Pop the current state because it cannot handle the error token.  */
      if (yyssp == yyss)
        YYABORT;

      yyerror_range[1] = *yylsp;
      yydestruct ("Error: popping",
                  YY_ACCESSING_SYMBOL (yystate), yyvsp, yylsp, scanner);
      YYPOPSTACK (1);
      yystate = *yyssp;
      YY_STACK_PRINT (yyss, yyssp);
    }

  YY_IGNORE_MAYBE_UNINITIALIZED_BEGIN
  *++yyvsp = yylval;
  YY_IGNORE_MAYBE_UNINITIALIZED_END

  yyerror_range[2] = yylloc;
  ++yylsp;
  YYLLOC_DEFAULT (*yylsp, yyerror_range, 2);

  /* Shift the error token.  */
  YY_SYMBOL_PRINT ("Shifting", YY_ACCESSING_SYMBOL (yyn), yyvsp, yylsp);

  yystate = yyn;
  goto yynewstate;


/*-------------------------------------.
| yyacceptlab -- YYACCEPT comes here.  |
`-------------------------------------*/
yyacceptlab:
  yyresult = 0;
  goto yyreturnlab;


/*-----------------------------------.
| yyabortlab -- YYABORT comes here.  |
`-----------------------------------*/
yyabortlab:
  yyresult = 1;
  goto yyreturnlab;


/*-----------------------------------------------------------.
| yyexhaustedlab -- YYNOMEM (memory exhaustion) comes here.  |
`-----------------------------------------------------------*/
yyexhaustedlab:
  yyerror (&yylloc, scanner, YY_("memory exhausted"));
  yyresult = 2;
  goto yyreturnlab;


/*----------------------------------------------------------.
| yyreturnlab -- parsing is finished, clean up and return.  |
`----------------------------------------------------------*/
yyreturnlab:
  if (yychar != YYEMPTY)
    {
      /* Make sure we have latest lookahead translation.  See comments at
         user semantic actions for why this is necessary.  */
      yytoken = YYTRANSLATE (yychar);
      yydestruct ("Cleanup: discarding lookahead",
                  yytoken, &yylval, &yylloc, scanner);
    }
  /* Do not reclaim the symbols of the rule whose action triggered
     this YYABORT or YYACCEPT.  */
  YYPOPSTACK (yylen);
  YY_STACK_PRINT (yyss, yyssp);
  while (yyssp != yyss)
    {
      yydestruct ("Cleanup: popping",
                  YY_ACCESSING_SYMBOL (+*yyssp), yyvsp, yylsp, scanner);
      YYPOPSTACK (1);
    }
#ifndef yyoverflow
  if (yyss != yyssa)
    YYSTACK_FREE (yyss);
#endif
  if (yymsg != yymsgbuf)
    YYSTACK_FREE (yymsg);
  return yyresult;
}

#line 267 "compiler/parser.y"


static int yylex(YYSTYPE *lval, YYLTYPE *lloc, yyscan_t scanner) {
    struct lex_extra *x = yyget_extra(scanner);
    if (x->start_token) {
        int t = x->start_token;
        x->start_token = 0;
        memset(lloc, 0, sizeof *lloc);
        return t;
    }
    if (x->insert_mul) {
        x->insert_mul = 0;
        *lloc = (src_loc){x->file, x->line, x->col, 1};
        return '*';
    }
    int t = qnn_lex(lval, lloc, scanner);
    if (t == 0) *lloc = (src_loc){x->file, x->line, x->col, 1}; /* end of input: point at it */
    return t;
}

static void yyerror(YYLTYPE *loc, yyscan_t scanner, const char *msg) {
    (void)scanner;
    /* Bison's "syntax error, unexpected X, expecting Y": drop the redundant prefix. */
    const char *prefix = "syntax error, ";
    if (strncmp(msg, prefix, strlen(prefix)) == 0) msg += strlen(prefix);
    if (strcmp(msg, "memory exhausted") == 0) msg = "the program nests too deeply";
    diag_error(*loc, "%s", msg);
}

static int run_parser(arena *ar, int file, const char *text, size_t len, int start,
                      ast_list *items, ast_node **expr) {
    struct lex_extra x;
    memset(&x, 0, sizeof x);
    x.ar = ar;
    x.file = file;
    x.line = 1;
    x.col = 1;
    x.items = items;
    x.start_token = start;
    yyscan_t scanner;
    if (yylex_init_extra(&x, &scanner)) return 1;
    YY_BUFFER_STATE buf = yy_scan_bytes(text, (int)len, scanner);
    int before = diag_error_count();
    int rc = yyparse(scanner);
    yy_delete_buffer(buf, scanner);
    yylex_destroy(scanner);
    if (expr) *expr = x.expr;
    int errors = diag_error_count() - before;
    return rc ? (errors ? errors : 1) : errors;
}

int parse_source(arena *ar, int file, const char *text, size_t len, ast_list *items) {
    return run_parser(ar, file, text, len, START_PROGRAM, items, NULL);
}

ast_node *parse_expression(arena *ar, int file, const char *text) {
    ast_node *e = NULL;
    if (run_parser(ar, file, text, strlen(text), START_EXPR, NULL, &e)) return NULL;
    return e;
}
