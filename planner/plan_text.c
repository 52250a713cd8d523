/* plan_text.c — finds, repairs and canonicalises the task plan inside an LLM reply. */
#include "planner/plan_text.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"
#include "core/banned.h"

#define PT_MAX_DEPTH 64
#define PT_MAX_STARTS 8

/* ---------- tolerant scan: text -> JSON text that cJSON can parse ---------- */

static bool is_ident(int c) { return isalnum(c) || c == '_'; }

/* Last non-space byte written, or 0. */
static char last_sig(const baton__sb *o) {
  for (size_t i = o->len; i > 0; i--)
    if (!isspace((unsigned char)o->buf[i - 1]))
      return o->buf[i - 1];
  return 0;
}

static void strip_trailing_comma(baton__sb *o) {
  size_t i = o->len;
  while (i > 0 && isspace((unsigned char)o->buf[i - 1]))
    i--;
  if (i > 0 && o->buf[i - 1] == ',') {
    o->len = i - 1;
    o->buf[o->len] = '\0';
  }
}

/* Next non-space byte at or after i, or 0. */
static char next_sig(const char *s, size_t n, size_t i) {
  while (i < n && isspace((unsigned char)s[i]))
    i++;
  return i < n ? s[i] : 0;
}

/* Copies a string starting at s[*i] (a quote) as a JSON string. A single
 * quote ends the string only where a JSON delimiter follows (so "it's"
 * inside survives). */
static void scan_string(const char *s, size_t n, size_t *i, baton__sb *o) {
  char q = s[*i];
  size_t k = *i + 1;
  baton__sb_addc(o, '"');
  while (k < n) {
    unsigned char ch = (unsigned char)s[k];
    if (ch == '\\' && k + 1 < n) {
      char nx = s[k + 1];
      if (nx == '\'') {
        baton__sb_addc(o, '\''); /* \' is not a JSON escape */
      } else if (strchr("\"\\/bfnrtu", nx)) {
        baton__sb_addc(o, '\\');
        baton__sb_addc(o, nx);
      } else {
        /* An escape JSON does not know: keep the character itself. */
        baton__sb_adds(o, "\\\\");
        k++;
        continue;
      }
      k += 2;
      continue;
    }
    if ((char)ch == q) {
      if (q == '"')
        break;
      char nx = next_sig(s, n, k + 1);
      if (nx == 0 || nx == ',' || nx == '}' || nx == ']' || nx == ':')
        break;
      baton__sb_addc(o, '\'');
      k++;
      continue;
    }
    if (ch == '"') {
      baton__sb_adds(o, "\\\"");
    } else if (ch == '\n') {
      baton__sb_adds(o, "\\n");
    } else if (ch == '\r') {
      baton__sb_adds(o, "\\r");
    } else if (ch == '\t') {
      baton__sb_adds(o, "\\t");
    } else if (ch < 0x20) {
      baton__sb_addf(o, "\\u%04x", ch);
    } else {
      baton__sb_addc(o, (char)ch);
    }
    k++;
  }
  baton__sb_addc(o, '"');
  *i = k < n ? k + 1 : n;
}

/*
 * Scans one JSON value starting at s[start] ('[' or '{'), repairing as it
 * goes, into o. With virtual_array the value is read as the elements of an
 * array whose "[" is missing. Returns false when it gives up.
 */
/* The brackets open while scan_value() copies a value to o. */
typedef struct scanner {
  char stack[PT_MAX_DEPTH];
  int depth;
  baton__sb *o;
} scanner;

static char top_of(const scanner *sc) { return sc->depth ? sc->stack[sc->depth - 1] : 0; }

/* Closes the innermost open bracket, dropping a trailing comma first. */
static void close_top(scanner *sc) {
  strip_trailing_comma(sc->o);
  baton__sb_addc(sc->o, sc->stack[sc->depth - 1] == '{' ? '}' : ']');
  sc->depth--;
}

/* Copies the string quoted at s[*i] (or skips a stray apostrophe),
 * putting in a missing comma before it; moves *i past it. */
static void scan_quoted(scanner *sc, const char *s, size_t n, size_t *i) {
  char c = s[*i], top = top_of(sc), ls = last_sig(sc->o);
  if (c == '\'' && !(ls == '{' || ls == '[' || ls == ',' || ls == ':')) {
    (*i)++; /* a stray apostrophe in a structural place */
    return;
  }
  if ((ls == '"' || ls == '}' || ls == ']') && (top == '[' || top == '{'))
    baton__sb_addc(sc->o, ','); /* missing comma */
  scan_string(s, n, i, sc->o);
}

/* Opens bracket c, with a missing comma before it in a list. False when
 * nested too deep. */
static bool open_bracket(scanner *sc, char c) {
  if (sc->depth >= PT_MAX_DEPTH)
    return false;
  char ls = last_sig(sc->o);
  if ((ls == '}' || ls == ']' || ls == '"') && top_of(sc) == '[')
    baton__sb_addc(sc->o, ',');
  sc->stack[sc->depth++] = c;
  baton__sb_addc(sc->o, c);
  return true;
}

/* Closes up to the innermost bracket that closer c matches, closing the
 * ones inside it too; a stray closer is dropped. True when that closed the
 * outermost bracket. */
static bool close_bracket(scanner *sc, char c) {
  char want = c == '}' ? '{' : '[';
  int at = -1;
  for (int d = sc->depth - 1; d >= 0; d--)
    if (sc->stack[d] == want) {
      at = d;
      break;
    }
  if (at < 0)
    return false;
  while (sc->depth > at)
    close_top(sc);
  return sc->depth == 0;
}

/* Copies the bare word at s[i]: Python's True/False/None as JSON, an
 * unquoted key quoted. Returns the index past it. */
static size_t scan_word(scanner *sc, const char *s, size_t n, size_t i) {
  size_t k = i;
  while (k < n && is_ident((unsigned char)s[k]))
    k++;
  size_t wl = k - i;
  const char *w = s + i;
  char ls = last_sig(sc->o);
  if (wl == 4 && memcmp(w, "True", 4) == 0)
    baton__sb_adds(sc->o, "true");
  else if (wl == 5 && memcmp(w, "False", 5) == 0)
    baton__sb_adds(sc->o, "false");
  else if (wl == 4 && memcmp(w, "None", 4) == 0)
    baton__sb_adds(sc->o, "null");
  else if (top_of(sc) == '{' && (ls == '{' || ls == ',') && next_sig(s, n, k) == ':') {
    baton__sb_addc(sc->o, '"'); /* an unquoted key */
    baton__sb_add(sc->o, w, wl);
    baton__sb_addc(sc->o, '"');
  } else {
    baton__sb_add(sc->o, w, wl);
  }
  return k;
}

static bool scan_value(const char *s, size_t n, size_t start, bool virtual_array, baton__sb *o) {
  scanner sc = {.depth = 0, .o = o};
  if (virtual_array) {
    sc.stack[sc.depth++] = '[';
    baton__sb_addc(o, '[');
  }
  size_t i = start;
  while (i < n) {
    char c = s[i];
    /* Between the elements of the supplied array only objects belong. */
    if (virtual_array && sc.depth == 1 &&
        !(isspace((unsigned char)c) || c == ',' || c == '{' || c == ']' || c == '}'))
      break;
    if (c == '"' || c == '\'') {
      scan_quoted(&sc, s, n, &i);
    } else if (c == '{' || c == '[') {
      if (!open_bracket(&sc, c))
        return false;
      i++;
    } else if (c == '}' || c == ']') {
      i++;
      if (close_bracket(&sc, c))
        return true;
    } else if (isalpha((unsigned char)c) || c == '_') {
      i = scan_word(&sc, s, n, i);
    } else if (c == '/' && i + 1 < n && s[i + 1] == '/') {
      while (i < n && s[i] != '\n')
        i++; /* a // comment to the end of the line */
    } else {
      baton__sb_addc(o, c);
      i++;
    }
  }
  /* Ran out of text (or hit prose): close what is open. */
  if (sc.depth == 0)
    return false;
  while (sc.depth > 0)
    close_top(&sc);
  return true;
}

/* ---------- canonical form ---------- */

/* Rewrites reference spellings in place into a new string:
 * "<GENERATED-0>", "<generated>-0", "<node-0>" -> "<GENERATED>-0". */
static char *fix_tags(const char *v) {
  baton__sb o;
  baton__sb_init(&o);
  size_t n = strlen(v);
  for (size_t i = 0; i < n;) {
    if (v[i] == '<') {
      size_t k = i + 1;
      bool gen = false, node = false;
      if (n - k >= 9 && strncasecmp(v + k, "generated", 9) == 0) {
        gen = true;
        k += 9;
      } else if (n - k >= 4 && strncasecmp(v + k, "node", 4) == 0) {
        node = true;
        k += 4;
      }
      if (gen || node) {
        /* Accept ">-N", "-N>", "_N>" */
        bool close_first = k < n && v[k] == '>';
        size_t d = k + (close_first ? 1 : 0);
        if (d < n && (v[d] == '-' || v[d] == '_')) {
          size_t e = d + 1;
          while (e < n && isdigit((unsigned char)v[e]))
            e++;
          if (e > d + 1 && (close_first || (e < n && v[e] == '>'))) {
            baton__sb_adds(&o, "<GENERATED>-");
            baton__sb_add(&o, v + d + 1, e - d - 1);
            i = close_first ? e : e + 1;
            continue;
          }
        }
      }
    }
    baton__sb_addc(&o, v[i]);
    i++;
  }
  return baton__sb_detach(&o);
}

/* k for a whole value "<GENERATED>-k", else -1. */
static int ref_of(const char *v) {
  const char *p = "<GENERATED>-";
  size_t pl = strlen(p);
  if (strncmp(v, p, pl) != 0 || !isdigit((unsigned char)v[pl]))
    return -1;
  long k = 0;
  const char *q = v + pl;
  while (isdigit((unsigned char)*q)) {
    k = k * 10 + (*q - '0');
    if (k > 1000000)
      return -1;
    q++;
  }
  return *q ? -1 : (int)k;
}

/* "Object Detection" -> "object-detection" (same rule as the graph parser). */
static char *norm_name(const char *s) {
  baton__sb o;
  baton__sb_init(&o);
  bool dash = false;
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == ' ' || c == '_' || c == '-' || c == '\t' || c == '\n' || c == '\r') {
      dash = o.len > 0;
      continue;
    }
    if (dash)
      baton__sb_addc(&o, '-');
    dash = false;
    baton__sb_addc(&o, (char)tolower(c));
  }
  return baton__sb_detach(&o);
}

static const char *media_word(const char *w, size_t n) {
  if (n == 4 && strncmp(w, "text", 4) == 0)
    return "text";
  if ((n == 5 && strncmp(w, "image", 5) == 0) || (n == 3 && strncmp(w, "img", 3) == 0))
    return "image";
  if ((n == 5 && strncmp(w, "audio", 5) == 0) || (n == 6 && strncmp(w, "speech", 6) == 0))
    return "audio";
  if (n == 5 && strncmp(w, "video", 5) == 0)
    return "video";
  return NULL;
}

/* What a task produces as far as its (normalised) name tells, or NULL. */
static const char *name_output_type(const char *name) {
  if (name) {
    const char *last = NULL;
    for (const char *p = strstr(name, "-to-"); p; p = strstr(p + 1, "-to-"))
      last = p;
    if (last) {
      const char *w = last + 4;
      size_t n = strcspn(w, "-");
      const char *t = media_word(w, n);
      if (t)
        return t;
    }
    static const char *const text_out[] = {"classification", "recognition", "question-answering",
                                           "summarization", "translation", "generation",
                                           "captioning", "ocr", "extraction", "sentiment"};
    for (size_t i = 0; i < sizeof text_out / sizeof *text_out; i++)
      if (strstr(name, text_out[i]))
        return "text";
  }
  return NULL;
}

static const char *type_name_of_path(const char *v) {
  unsigned t = baton__type_of_path(v);
  if (t == BATON__T_IMAGE)
    return "image";
  if (t == BATON__T_AUDIO)
    return "audio";
  if (t == BATON__T_VIDEO)
    return "video";
  return NULL;
}

typedef struct node_info {
  const cJSON *obj;
  char *name; /* normalised task name */
  int id;
} node_info;

typedef struct ctx {
  node_info *nodes;
  size_t n;
  bool taskbench;
} ctx;

static const node_info *find_node(const ctx *c, int id) {
  for (size_t i = 0; i < c->n; i++)
    if (c->nodes[i].id == id)
      return &c->nodes[i];
  return NULL;
}

static const char *node_out_type(const ctx *c, const node_info *ni, int depth);

/* The media type a node takes: a media-named argument, a file path with a
 * media extension, or a reference to a node producing media. NULL if none. */
static const char *node_in_type(const ctx *c, const node_info *ni, int depth) {
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(ni->obj, "args");
  if (!a || cJSON_IsNull(a))
    a = cJSON_GetObjectItemCaseSensitive(ni->obj, "arguments");
  const cJSON *v;
  cJSON_ArrayForEach(v, a) {
    unsigned named = v->string ? baton__type_from_name(v->string) : 0;
    if (named & (BATON__T_IMAGE | BATON__T_AUDIO | BATON__T_VIDEO))
      return baton__type_name(named);
    if (!cJSON_IsString(v) || !v->valuestring)
      continue;
    const char *t = type_name_of_path(v->valuestring);
    if (t)
      return t;
    char *fixed = fix_tags(v->valuestring);
    int r = fixed ? ref_of(fixed) : -1;
    free(fixed);
    const node_info *rn = r >= 0 ? find_node(c, r) : NULL;
    if (rn && rn != ni) {
      t = node_out_type(c, rn, depth + 1);
      if (strcmp(t, "text") != 0)
        return t;
    }
  }
  return NULL;
}

/* What a node produces: from its name, else the type it takes, else text. */
static const char *node_out_type(const ctx *c, const node_info *ni, int depth) {
  const char *t = name_output_type(ni->name);
  if (t)
    return t;
  if (depth > 8)
    return "text";
  t = node_in_type(c, ni, depth + 1);
  return t ? t : "text";
}

/* Turns one argument value into a string (caller frees), or NULL to drop. */
static char *arg_string(const ctx *c, const cJSON *v) {
  if (cJSON_IsString(v) && v->valuestring)
    return fix_tags(v->valuestring);
  if (cJSON_IsNumber(v)) {
    char b[64];
    double d = v->valuedouble;
    if (d > -1e15 && d < 1e15 && d == (double)(long long)d)
      baton__fmt(b, sizeof b, "%lld", (long long)v->valuedouble);
    else
      baton__fmt(b, sizeof b, "%g", v->valuedouble);
    return baton__strdup(b);
  }
  if (cJSON_IsBool(v))
    return baton__strdup(cJSON_IsTrue(v) ? "true" : "false");
  if (cJSON_IsNull(v) || !v)
    return NULL;
  if (cJSON_IsObject(v)) {
    /* TaskBench {"from": "Translation"}: the output of that task. */
    const cJSON *from = cJSON_GetObjectItemCaseSensitive(v, "from");
    if (cJSON_IsString(from) && from->valuestring) {
      char *want = norm_name(from->valuestring);
      for (size_t i = 0; want && i < c->n; i++)
        if (strcmp(c->nodes[i].name, want) == 0) {
          free(want);
          char b[48];
          baton__fmt(b, sizeof b, "<GENERATED>-%d", c->nodes[i].id);
          return baton__strdup(b);
        }
      free(want);
    }
  }
  return cJSON_PrintUnformatted(v);
}

/* The resource name a list argument gets. */
static const char *list_arg_type(const ctx *c, const char *val) {
  int r = ref_of(val);
  if (r >= 0) {
    const node_info *ni = find_node(c, r);
    return ni ? node_out_type(c, ni, 0) : "text";
  }
  const char *t = type_name_of_path(val);
  return t ? t : "text";
}

/* Adds name=val to args, renaming a repeated name to name_2, name_3... */
static void add_arg(cJSON *args, const char *name, const char *val) {
  if (!cJSON_GetObjectItemCaseSensitive(args, name)) {
    cJSON_AddStringToObject(args, name, val);
    return;
  }
  for (int k = 2; k < 1000; k++) {
    char nm[96];
    baton__fmt(nm, sizeof nm, "%.80s_%d", name, k);
    if (!cJSON_GetObjectItemCaseSensitive(args, nm)) {
      cJSON_AddStringToObject(args, nm, val);
      return;
    }
  }
}

static bool parse_int_item(const cJSON *v, int *out) {
  if (cJSON_IsNumber(v)) {
    double d = v->valuedouble;
    if (!(d >= -1000000 && d <= 1000000) || d != (double)(int)d)
      return false;
    *out = (int)d;
    return true;
  }
  if (cJSON_IsString(v) && v->valuestring) {
    char *e;
    long l = strtol(v->valuestring, &e, 10);
    if (e == v->valuestring || *e || l < -1000000 || l > 1000000)
      return false;
    *out = (int)l;
    return true;
  }
  return false;
}

static void add_dep(cJSON *dep, int d) {
  const cJSON *it;
  cJSON_ArrayForEach(it, dep)
    if (it->valueint == d)
      return;
  cJSON_AddItemToArray(dep, cJSON_CreateNumber(d));
}

/* The task name of a node: "task", or "tool"/"name" on an object that also
 * carries args, arguments, dep or id. */
static const cJSON *task_name_item(const cJSON *o) {
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "task");
  if (!cJSON_IsString(t)) {
    bool nodeish = cJSON_GetObjectItemCaseSensitive(o, "args") ||
                   cJSON_GetObjectItemCaseSensitive(o, "arguments") ||
                   cJSON_GetObjectItemCaseSensitive(o, "dep") || cJSON_GetObjectItemCaseSensitive(o, "id");
    if (!nodeish)
      return NULL;
    t = cJSON_GetObjectItemCaseSensitive(o, "tool");
    if (!cJSON_IsString(t))
      t = cJSON_GetObjectItemCaseSensitive(o, "name");
  }
  return cJSON_IsString(t) && t->valuestring && *t->valuestring ? t : NULL;
}

/* Builds the canonical task for node i. */
/* Adds one item of an args list to args: {"name", "value"}, a one-key
 * object {"image": "a.jpg"}, or a bare value named by its type. */
static void canon_list_arg(const ctx *c, const cJSON *it, cJSON *args) {
  const cJSON *nm = cJSON_IsObject(it) ? cJSON_GetObjectItemCaseSensitive(it, "name") : NULL;
  const cJSON *val = cJSON_IsObject(it) ? cJSON_GetObjectItemCaseSensitive(it, "value") : NULL;
  char *v;
  if (cJSON_IsString(nm) && nm->valuestring && val) {
    v = arg_string(c, val); /* {"name": "image", "value": "a.jpg"} */
    if (v)
      add_arg(args, nm->valuestring, v);
  } else if (cJSON_IsObject(it) && cJSON_GetArraySize(it) == 1 &&
             !cJSON_GetObjectItem(it, "from")) {
    const cJSON *only = it->child; /* [{"image": "a.jpg"}] */
    v = arg_string(c, only);
    if (v && only->string)
      add_arg(args, only->string, v);
  } else {
    v = arg_string(c, it);
    if (v)
      add_arg(args, list_arg_type(c, v), v);
  }
  free(v);
}

/* Adds the task object o's arguments ("args" or "arguments": an object, a
 * list, or one string) to args. */
static void canon_args(const ctx *c, const cJSON *o, cJSON *args) {
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "args");
  if (!a || cJSON_IsNull(a))
    a = cJSON_GetObjectItemCaseSensitive(o, "arguments");
  const cJSON *it;
  if (cJSON_IsObject(a)) {
    cJSON_ArrayForEach(it, a) {
      char *v = arg_string(c, it);
      if (v && it->string)
        add_arg(args, it->string, v);
      free(v);
    }
  } else if (cJSON_IsArray(a)) {
    cJSON_ArrayForEach(it, a)
      canon_list_arg(c, it, args);
  } else if (cJSON_IsString(a) && a->valuestring) {
    char *v = fix_tags(a->valuestring);
    if (v)
      add_arg(args, list_arg_type(c, v), v);
    free(v);
  }
}

/* Fills dep: what o declared (not for TaskBench, whose ids we renumbered),
 * plus every reference in args, else [-1]. */
static void canon_deps(const ctx *c, const cJSON *o, const cJSON *args, cJSON *dep) {
  const cJSON *it;
  if (!c->taskbench) {
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "dep");
    if (!d)
      d = cJSON_GetObjectItemCaseSensitive(o, "deps");
    int v;
    if (cJSON_IsArray(d)) {
      cJSON_ArrayForEach(it, d)
        if (parse_int_item(it, &v) && v >= 0)
          add_dep(dep, v);
    } else if (parse_int_item(d, &v) && v >= 0) {
      add_dep(dep, v);
    }
  }
  cJSON_ArrayForEach(it, args) {
    int r = cJSON_IsString(it) ? ref_of(it->valuestring) : -1;
    if (r >= 0)
      add_dep(dep, r);
  }
  if (cJSON_GetArraySize(dep) == 0)
    cJSON_AddItemToArray(dep, cJSON_CreateNumber(-1));
}

static cJSON *canon_task(const ctx *c, size_t i) {
  const node_info *ni = &c->nodes[i];
  const cJSON *o = ni->obj;
  cJSON *t = cJSON_CreateObject();
  if (!t)
    return NULL;
  const cJSON *tn = task_name_item(o);
  cJSON_AddStringToObject(t, "task", c->taskbench ? ni->name : tn->valuestring);
  cJSON_AddNumberToObject(t, "id", ni->id);
  cJSON *dep = cJSON_AddArrayToObject(t, "dep");
  cJSON *args = cJSON_CreateObject();
  canon_args(c, o, args);
  canon_deps(c, o, args, dep);
  cJSON_AddItemToObject(t, "args", args);
  const cJSON *model = cJSON_GetObjectItemCaseSensitive(o, "model");
  if (cJSON_IsString(model) && model->valuestring && *model->valuestring)
    cJSON_AddStringToObject(t, "model", model->valuestring);
  return t;
}

/* A list of node objects -> canonical array, or NULL when no element is a
 * task. */
static cJSON *canon_list(const cJSON *list, bool taskbench_hint) {
  size_t cap = (size_t)cJSON_GetArraySize(list);
  if (cap == 0)
    return NULL;
  ctx c = {.nodes = calloc(cap, sizeof(node_info)), .n = 0, .taskbench = taskbench_hint};
  if (!c.nodes)
    return NULL;
  const cJSON *it;
  cJSON_ArrayForEach(it, list) {
    if (!cJSON_IsObject(it) || !task_name_item(it))
      continue;
    if (!cJSON_GetObjectItemCaseSensitive(it, "args") && cJSON_GetObjectItemCaseSensitive(it, "arguments"))
      c.taskbench = true;
    node_info *ni = &c.nodes[c.n];
    ni->obj = it;
    ni->name = norm_name(task_name_item(it)->valuestring);
    if (!ni->name)
      break;
    c.n++;
  }
  cJSON *out = NULL;
  if (c.n == 0)
    goto done;
  for (size_t i = 0; i < c.n; i++) {
    node_info *ni = &c.nodes[i];
    int id;
    const cJSON *idv = cJSON_GetObjectItemCaseSensitive(ni->obj, "id");
    ni->id = (!c.taskbench && parse_int_item(idv, &id) && id >= 0) ? id : (int)i;
  }
  out = cJSON_CreateArray();
  for (size_t i = 0; out && i < c.n; i++) {
    cJSON *t = canon_task(&c, i);
    if (!t) {
      cJSON_Delete(out);
      out = NULL;
      break;
    }
    cJSON_AddItemToArray(out, t);
  }
done:
  for (size_t i = 0; i < c.n; i++)
    free(c.nodes[i].name);
  free(c.nodes);
  return out;
}

/* Finds the task list inside any parsed JSON value. */
static cJSON *canon_any(const cJSON *v, int depth) {
  if (depth > 3 || !v)
    return NULL;
  if (cJSON_IsObject(v)) {
    static const char *const wrappers[] = {"tasks", "task_nodes", "plan", "nodes", "task_graph",
                                           "taskgraph", "steps"};
    for (size_t i = 0; i < sizeof wrappers / sizeof *wrappers; i++) {
      const cJSON *w = cJSON_GetObjectItemCaseSensitive(v, wrappers[i]);
      bool tb = strcmp(wrappers[i], "task_nodes") == 0;
      if (cJSON_IsArray(w)) {
        cJSON *r = canon_list(w, tb);
        if (r)
          return r;
      } else if (cJSON_IsObject(w)) {
        if (task_name_item(w)) {
          cJSON *one = cJSON_CreateArray();
          cJSON_AddItemReferenceToArray(one, (cJSON *)w);
          cJSON *r = canon_list(one, tb);
          cJSON_Delete(one);
          if (r)
            return r;
        } else {
          /* {"step_1": {...}, "step_2": {...}}: the values in order. */
          cJSON *r = canon_list(w, tb);
          if (r)
            return r;
        }
      }
    }
    if (task_name_item(v)) {
      cJSON *one = cJSON_CreateArray();
      cJSON_AddItemReferenceToArray(one, (cJSON *)v);
      cJSON *r = canon_list(one, false);
      cJSON_Delete(one);
      return r;
    }
    return NULL;
  }
  if (cJSON_IsArray(v)) {
    cJSON *r = canon_list(v, false);
    if (r)
      return r;
    if (cJSON_GetArraySize(v) == 1)
      return canon_any(cJSON_GetArrayItem(v, 0), depth + 1);
  }
  return NULL;
}

/* Tries one region of text. Returns canonical JSON, or NULL. Sets
 * *saw_json when some JSON parsed but held no tasks. */
static cJSON *try_region(const char *s, size_t n, bool *saw_json) {
  baton__sb o;
  baton__sb_init(&o);
  cJSON *result = NULL;
  /* 1. The outermost array of objects: "[" then "{". */
  int tries = 0;
  for (size_t i = 0; i < n && tries < PT_MAX_STARTS && !result; i++) {
    if (s[i] != '[' || next_sig(s, n, i + 1) != '{')
      continue;
    tries++;
    baton__sb_reset(&o);
    if (!scan_value(s, n, i, false, &o) || !baton__sb_ok(&o))
      continue;
    cJSON *j = cJSON_ParseWithLength(o.buf, o.len);
    if (j) {
      *saw_json = true;
      result = canon_any(j, 0);
      cJSON_Delete(j);
    }
  }
  /* 2. Objects, read as the elements of an array (supplies a missing "["). */
  tries = 0;
  for (size_t i = 0; i < n && tries < PT_MAX_STARTS && !result; i++) {
    if (s[i] != '{')
      continue;
    tries++;
    baton__sb_reset(&o);
    if (!scan_value(s, n, i, true, &o) || !baton__sb_ok(&o))
      continue;
    cJSON *j = cJSON_ParseWithLength(o.buf, o.len);
    if (j) {
      *saw_json = true;
      result = canon_any(j, 0);
      cJSON_Delete(j);
    }
  }
  baton__sb_release(&o);
  return result;
}

static bool is_empty_plan(const char *s, size_t n) {
  while (n > 0 && isspace((unsigned char)*s)) {
    s++;
    n--;
  }
  while (n > 0 && isspace((unsigned char)s[n - 1]))
    n--;
  if (n < 2 || s[0] != '[' || s[n - 1] != ']')
    return false;
  for (size_t i = 1; i + 1 < n; i++)
    if (!isspace((unsigned char)s[i]))
      return false;
  return true;
}

char *baton__plan_text_extract(const char *text, size_t len, char *err, size_t errlen) {
  if (err && errlen)
    err[0] = '\0';
  if (!text) {
    baton__fmt(err, errlen, "no plan text was given");
    return NULL;
  }
  if (len > BATON__PLAN_TEXT_MAX) {
    baton__fmt(err, errlen, "the plan text is too large (%zu bytes; the limit is %u bytes)", len,
               BATON__PLAN_TEXT_MAX);
    return NULL;
  }
  /* Regions: each ``` fence's content, then the whole text. */
  cJSON *found = NULL;
  bool saw_json = false, empty = false;
  const char *p = text, *end = text + len;
  while (!found && p < end) {
    const char *f = NULL;
    for (const char *q = p; q + 3 <= end; q++)
      if (q[0] == '`' && q[1] == '`' && q[2] == '`') {
        f = q;
        break;
      }
    if (!f)
      break;
    const char *body = f + 3;
    while (body < end && *body != '\n' && *body != '[' && *body != '{')
      body++; /* skip the language tag */
    const char *close = NULL;
    for (const char *q = body; q + 3 <= end; q++)
      if (q[0] == '`' && q[1] == '`' && q[2] == '`') {
        close = q;
        break;
      }
    const char *bend = close ? close : end;
    found = try_region(body, (size_t)(bend - body), &saw_json);
    if (!found && is_empty_plan(body, (size_t)(bend - body)))
      empty = true;
    p = close ? close + 3 : end;
  }
  if (!found && !empty)
    found = try_region(text, len, &saw_json);
  if (!found && (empty || is_empty_plan(text, len)))
    return baton__strdup("[]");
  if (!found) {
    char start[80];
    size_t k = 0;
    for (size_t i = 0; i < len && k + 1 < sizeof start - 4; i++) {
      unsigned char ch = (unsigned char)text[i];
      start[k++] = (ch < 0x20 || ch == 0x7f) ? ' ' : (char)ch;
    }
    start[k] = '\0';
    if (k < len && k > 0)
      baton__fmt(start + k, sizeof start - k, "...");
    if (saw_json)
      baton__fmt(err, errlen,
                 "the planner's reply holds JSON but no task objects (each needs a \"task\" name); "
                 "the reply starts: \"%s\"",
                 start);
    else
      baton__fmt(err, errlen,
                 "no task list found in the planner's reply (expected a JSON array of "
                 "{\"task\", \"id\", \"dep\", \"args\"}); the reply starts: \"%s\"",
                 start);
    return NULL;
  }
  char *out = cJSON_PrintUnformatted(found);
  cJSON_Delete(found);
  if (!out)
    baton__fmt(err, errlen, "out of memory");
  return out;
}
