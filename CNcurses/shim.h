// The only C view of curses in the project: TerminalUI imports it, nothing else does.
//
// Swift cannot import C macros with arguments or some globals (LINES, COLS, stdscr are
// macros over functions or thread-local state in ncursesw), so each is wrapped in a small
// static inline function named cn_*.
#ifndef CNCURSES_SHIM_H
#define CNCURSES_SHIM_H

// Wide-character curses (cchar_t, get_wch, setcchar): must come before the header.
#define NCURSES_WIDECHAR 1
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif

#include <locale.h>
#include <langinfo.h>
#include <stdio.h>
#include <wchar.h>
#if __has_include(<ncursesw/ncurses.h>)
#include <ncursesw/ncurses.h>
#else
#include <ncurses.h>
#endif

// MARK: Globals and macros

static inline WINDOW *cn_stdscr(void) { return stdscr; }
static inline int cn_lines(void) { return LINES; }
static inline int cn_cols(void) { return COLS; }
static inline void cn_getmaxyx(WINDOW *window, int *rows, int *columns) {
    int y, x;
    getmaxyx(window, y, x);
    *rows = y;
    *columns = x;
}
static inline int cn_err(void) { return ERR; }
static inline int cn_ok(void) { return OK; }
static inline int cn_colors(void) { return COLORS; }
static inline int cn_color_pairs(void) { return COLOR_PAIRS; }
static inline int cn_ccharw_max(void) { return CCHARW_MAX; }

// MARK: Attributes and colours

static inline attr_t cn_a_normal(void) { return A_NORMAL; }
static inline attr_t cn_a_bold(void) { return A_BOLD; }
static inline attr_t cn_a_reverse(void) { return A_REVERSE; }
static inline attr_t cn_a_dim(void) { return A_DIM; }
static inline short cn_color_black(void) { return COLOR_BLACK; }
static inline short cn_color_red(void) { return COLOR_RED; }
static inline short cn_color_green(void) { return COLOR_GREEN; }
static inline short cn_color_yellow(void) { return COLOR_YELLOW; }
static inline short cn_color_blue(void) { return COLOR_BLUE; }
static inline short cn_color_magenta(void) { return COLOR_MAGENTA; }
static inline short cn_color_cyan(void) { return COLOR_CYAN; }
static inline short cn_color_white(void) { return COLOR_WHITE; }

// MARK: Keys (values get_wch returns with KEY_CODE_YES)

static inline int cn_key_code_yes(void) { return KEY_CODE_YES; }
static inline int cn_key_up(void) { return KEY_UP; }
static inline int cn_key_down(void) { return KEY_DOWN; }
static inline int cn_key_left(void) { return KEY_LEFT; }
static inline int cn_key_right(void) { return KEY_RIGHT; }
static inline int cn_key_home(void) { return KEY_HOME; }
static inline int cn_key_end(void) { return KEY_END; }
static inline int cn_key_ppage(void) { return KEY_PPAGE; }
static inline int cn_key_npage(void) { return KEY_NPAGE; }
static inline int cn_key_enter(void) { return KEY_ENTER; }
static inline int cn_key_backspace(void) { return KEY_BACKSPACE; }
static inline int cn_key_btab(void) { return KEY_BTAB; }
static inline int cn_key_resize(void) { return KEY_RESIZE; }

// MARK: Wide-character drawing and input

/// Draws one cell: `text` is a NUL-terminated spacing character followed by at most
/// CCHARW_MAX - 1 combining characters.
static inline int cn_put_cell(int y, int x, const wchar_t *text, attr_t attributes, short pair) {
    cchar_t cell;
    if (setcchar(&cell, text, attributes, pair, NULL) == ERR) return ERR;
    return mvwadd_wch(stdscr, y, x, &cell);
}

/// Reads one key or character: OK (a character), KEY_CODE_YES (a function key) or ERR (none before the timeout).
static inline int cn_get_wch(wint_t *key) { return wget_wch(stdscr, key); }

/// The codeset of the current locale, for example "UTF-8".
static inline const char *cn_codeset(void) { return nl_langinfo(CODESET); }

static inline FILE *cn_stdout(void) { return stdout; }
static inline FILE *cn_stdin(void) { return stdin; }

// MARK: Terminfo (last: term.h defines object-like macros such as `columns` and `lines`)

#if __has_include(<ncursesw/term.h>)
#include <ncursesw/term.h>
#else
#include <term.h>
#endif

/// Whether the terminal TERM names can move the cursor (terminfo's `cup`), which the dashboard
/// needs: 1 yes, 0 no (`dumb`, a printing terminal), -1 when terminfo does not know TERM.
/// Reads the terminfo entry only: nothing is written to the terminal.
static inline int cn_terminal_addresses_cursor(int fd) {
    int status = 0;
    if (setupterm(NULL, fd, &status) != OK) return -1;
    const char *cup = tigetstr("cup");
    int result = (cup != NULL && cup != (const char *)-1) ? 1 : 0;
    del_curterm(cur_term);
    return result;
}

#endif
