/*
 * cli/cmd_plot.c -- `balloonsim plot`: paper-ready figures from a results database.
 *
 *   balloonsim plot DB --figure NAME -o FILE.{pdf,png,svg,tex} [filters] [options]
 *
 * WHAT IT WRITES.  For -o STEM.EXT: the figure, STEM.EXT.gp (the gnuplot script that
 * drew it) and the data it plotted: STEM.EXT.dat, or STEM.EXT.host.dat / STEM.EXT.vms.dat
 * for the timeline.  The extension is part of every name, so that a PNG and a PDF of one
 * stem keep their own script and data.  The script is self-contained and refers to its
 * data by base name, so a researcher can restyle a figure with
 * `cd DIR && gnuplot STEM.EXT.gp`.  Full reference: docs/figures.md.  Data files are whitespace
 * separated, one '#' header line naming the columns (with units), blocks (gnuplot
 * `index`) separated by two blank lines, each block opened by a "# block N: LABEL" line.
 *
 * FIGURES (every memory quantity in MiB in the data, MiB or GiB on the axis; times in s
 * in the data, s/min/h on the axis):
 *   timeline     one run: host free memory with the ESX state thresholds high/soft/hard/
 *                low (host_samples, hosts, run_params host.*), then one small panel per VM
 *                (<= 12 VMs) or per VM group (mean per VM; beyond 12 groups the last panel
 *                holds the rest) with usable, assigned, balloon, anonymous demand and page
 *                cache over time (vm_samples); --normalise (fractions of the configured
 *                size), --yscale panel; --as heatmap: VMs x time, colour = usable / anon
 *                demand (cli/fig_timeline.c).
 *   allocation   one run at one moment (--at SECONDS, default the end): a stacked bar per
 *                VM of kernel, anon, page cache, free, balloon and never-assigned memory
 *                (the bar is the configured size: models/vm.h C1 and models/guest.h G1).
 *   sweep        a run_summary metric (--metric) against a swept parameter (--x
 *                section.key or an axis name), one line per policy (and per value of any
 *                other axis), mean and 95% confidence interval of the repetitions,
 *                computed from the complete runs' run_summary with stats_summary (as
 *                point_summary is): ci95 = t(0.975, n-1) * sd / sqrt(n), 0 when n = 1.
 *                (point_summary itself is not read: `run` adds runs without rebuilding it.)
 *                A non-numeric x (e.g. policy.name) gives bars with error bars.
 *                --paired POLICY draws instead the mean paired difference to POLICY: each
 *                run's value less that of POLICY's run of the same study and repetition
 *                whose axes are the same but policy.name (common random numbers make
 *                them replay the same workloads; the pairing of table point_diff), with
 *                the 95% CI of the differences (Student t); unpaired runs are left out.
 *   cdf          empirical distribution of a vm_summary metric over VMs (--over vms) or of
 *                a run_summary metric over runs (--over runs), one curve per policy.
 *   balloon-ops  balloon operations (balloon_ops) of one run or of the selected runs:
 *                latency (finished - issued) against size moved (--as scatter) or the
 *                latency CDF (--as cdf), one series per kind (and policy).
 *
 * FILTERS are not SQL: --run N (the 0-based run index of sweep --runs), --policy NAME,
 * --group NAME, --study KEY, and --where AXIS=VALUE (repeatable) on any study axis (named,
 * ${mem=...}, or section.key) or any stored section.key, compared as numbers when both
 * sides parse in one unit (24GiB == 24576MiB), else as text; filters on one axis are
 * alternatives, on different axes all apply (cli/plot.c plot_select_runs: the selected
 * runs go into temp.plot_runs, which every figure's query reads).  Every query is a
 * prepared statement with bound parameters.  Only runs with status 'complete' are drawn,
 * except a run named with --run.
 *
 * AXES.  --xlabel, --ylabel and --yrange LO:HI replace the figure's own; --hline Y[:LABEL]
 * draws a dashed reference line across the graph at Y (in the unit of the y axis) that
 * autoscaling includes.  --log x|y ranges the axis over the data (not to whole decades),
 * with ticks at 1, 2, 5 x 10^k when it spans under 1.5 decades.
 *
 * STYLE.  Paper (default): vector output, 3.3 in x 2.2 in (one column), 8 pt Nimbus Sans
 * (URW's metric clone of Helvetica, Debian fonts-urw-base35; the PDF embeds it),
 * Okabe-Ito colours that also differ by dash pattern and point type, so that the figure
 * survives black-and-white printing.  --style slides: 16:9, 8 in x 4.5 in, 14 pt.  The
 * timeline grows taller with its panels.  pdf via pdfcairo, svg via svg, tex via cairolatex
 * (FILE.tex plus its graphics FILE.pdf, fonts from the document), png via pngcairo at
 * 300 dpi (slides 200 dpi) or --size WxH pixels; for vector formats --size WxH is inches.
 *
 * SAFETY.  gnuplot runs by fork + execvp on the generated script, in the output directory,
 * with no shell.  Strings from the database or the command line reach the script only as
 * single-quoted gnuplot strings ('' for a quote, control characters dropped, %% in tic
 * labels, which gnuplot uses as formats), where gnuplot substitutes nothing (no backquotes,
 * no @macros); the output base name is restricted to [A-Za-z0-9._+,=@-].  Labels are
 * escaped for LaTeX in tex output.  gnuplot is given "./STEM.EXT.gp", so that a name that
 * starts with '-' is not an option, and a figure gnuplot did not write is an error.  No
 * file plot writes (figure, script, the figure's data files: plot_figure_t.data) may be
 * the input database or its -wal/-shm/-journal (check_outputs, before anything is
 * created; issue 15, docs/database.md).
 *
 * SOURCES AND CHOICES.  The thresholds drawn are the run's host.high/soft/hard/low
 * fractions of capacity (ESX free-memory states, docs/policies.md).  The CI is Student's t
 * (known answer: t(0.975, 2) = 4.302653; tests/e2e/plot.sh recomputes one).  Sizes follow
 * measured gnuplot 5.4 behaviour: cairo terminals size fonts at 96 dpi (pdfcairo gets
 * fontscale 0.75 so that 8 means 8 pt), pdfcairo draws linewidth 1 as 0.5 pt, pngcairo one
 * pixel; the png is scaled so that it looks like the pdf at its dpi.  Axis units adapt to
 * the data (MiB below 4 GiB, s up to 10 min, min up to 3 h); data files keep MiB and s.
 *
 * ERRORS.  Exit status 2 and one message: missing/unreadable database, not a balloonsim
 * database (db_open), unknown run, no samples, unknown figure or metric (both listed),
 * gnuplot missing or failing (with the first line of its stderr that names the problem).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include "sim/db.h"
#include "sim/file.h"
#include "sim/units.h"
#include "models/record.h"
#include "cli/common.h"
#include "cli/stats.h"
#include "cli/plot.h"
#include "cli/cmd_plot.h"

/* The figures: one row each (cli/plot.h).  The usage lists them from here. */
const plot_figure_t plot_figures[] = {
    {"timeline", "one run: host free memory and thresholds, memory of each VM over time", plot_fig_timeline,
     {".host.dat", ".vms.dat", ".heat.dat", NULL}},
    {"allocation", "one run at one moment: stacked memory per VM (--at SECONDS, default the end)",
     plot_fig_allocation, {".dat", NULL}},
    {"sweep", "a summary metric against a swept parameter, one line per policy, 95% CI\n"
              "(--metric NAME, --x section.key or axis name; --paired POLICY: the mean paired\n"
              "difference to POLICY's run of the same repetition and other axes, 95% CI)", plot_fig_sweep,
     {".dat", NULL}},
    {"cdf", "distribution of a metric over VMs or runs (--metric NAME [--over vms|runs])", plot_fig_cdf,
     {".dat", NULL}},
    {"balloon-ops", "latency and size of balloon operations (--as scatter|cdf)", plot_fig_ops, {".dat", NULL}},
    {"capacity", "per policy, the largest overcommit meeting a `balloonsim capacity` budget, the\n"
                 "passing/failing bracket as error bar (--study KEY when several searches)", plot_fig_capacity,
     {".dat", NULL}},
};
const size_t plot_nfigures = sizeof plot_figures / sizeof plot_figures[0];

static const char usage_head[] =
    "usage: balloonsim plot DB --figure NAME -o FILE.{pdf,png,svg,tex} [options]\n"
    "figures:\n";
static const char usage_tail[] =
    "filters (not SQL): --run N (0-based run index)  --policy NAME  --group NAME  --study KEY\n"
    "  --where AXIS=VALUE     repeatable: a study axis (mem=24GiB, pol=mom) or section.key;\n"
    "                         one axis: any value; several axes: all (24GiB == 24576MiB)\n"
    "axes:\n"
    "  --xlabel TEXT  --ylabel TEXT   replace the axis labels\n"
    "  --yrange LO:HI         y range in the axis unit ('*' for automatic)\n"
    "  --hline Y[:LABEL]      repeatable: a reference line at Y (e.g. --hline 1.10:budget)\n"
    "  --log x|y|xy           logarithmic axes, ranged over the data\n"
    "timeline:\n"
    "  --normalise            VM memory as a fraction of its configured size\n"
    "  --yscale shared|panel  one y scale for all VM panels (default) or one per panel\n"
    "  --as panels|heatmap    heatmap: VMs x time, colour = usable / anon demand (large runs)\n"
    "options:\n"
    "  --style paper|slides   paper: 3.3x2.2 in, 8 pt (default); slides: 16:9, 14 pt\n"
    "  --size WxH             png: pixels (default 300 dpi); pdf/svg/tex: inches\n"
    "  --script-only          write STEM.EXT.gp and the data, do not run gnuplot\n"
    "  --quiet                print nothing on success\n"
    "Beside STEM.EXT it writes STEM.EXT.gp and STEM.EXT.dat (or STEM.EXT.*.dat): restyle\n"
    "with `cd DIR && gnuplot STEM.EXT.gp`.  Reference: docs/figures.md.\n";

/* The usage, its list of figures from the figure table (a help line may hold '\n'). */
static void print_usage(FILE *f)
{
    fputs(usage_head, f);
    for (size_t i = 0; i < plot_nfigures; i++) {
        fprintf(f, "  %-13s ", plot_figures[i].name);
        for (const char *c = plot_figures[i].help; *c; c++) {
            fputc(*c, f);
            if (*c == '\n')
                fprintf(f, "%16s", "");             /* continuation under the help column */
        }
        fputc('\n', f);
    }
    fputs(usage_tail, f);
}

/* "timeline, allocation, ..." from the figure table. */
static const char *figure_list(char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = 0;
    for (size_t i = 0; i < plot_nfigures && n < len; i++)
        n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "", plot_figures[i].name);
    return buf;
}

static const plot_figure_t *find_figure(const char *name)
{
    for (size_t i = 0; i < plot_nfigures; i++)
        if (!strcmp(name, plot_figures[i].name))
            return &plot_figures[i];
    return NULL;
}

static int parse_size(const char *s, double *w, double *h)
{
    char *end;
    *w = strtod(s, &end);
    if (end == s || (*end != 'x' && *end != 'X'))
        return -1;
    const char *t = end + 1;
    *h = strtod(t, &end);
    if (end == t || !(*end == 0 || !strcmp(end, "in")))
        return -1;
    return *w > 0 && *h > 0 && *w < 100000 && *h < 100000 ? 0 : -1;
}

static int set_filter(plot_t *p, const char *k, const char *v)
{
    if (!strcmp(k, "run")) {
        char msg[128];
        if (sim_units_parse_int(v, &p->o.run_id, msg, sizeof msg))
            return plot_fail(p, "--run needs a run index (an integer from 0, as in sweep --runs), not '%s'", v);
        p->o.has_run = 1;
    } else if (!strcmp(k, "policy")) {
        p->o.policy = v;
    } else if (!strcmp(k, "group")) {
        p->o.group = v;
    } else if (!strcmp(k, "study")) {
        p->o.study = v;
    } else {
        if (p->o.nwhere >= PLOT_MAX_WHERE)
            return plot_fail(p, "--where: at most %d filters", PLOT_MAX_WHERE);
        if (!k[0] || strlen(k) >= sizeof p->o.where[0].axis)
            return plot_fail(p, "--where takes AXIS=VALUE (a study axis, section.key, run, policy, group or study),"
                                " not '%s=%s'", k, v);
        plot_where_t *w = &p->o.where[p->o.nwhere++];
        snprintf(w->axis, sizeof w->axis, "%s", k);
        w->value = v;
    }
    return SIM_OK;
}

/* --yrange LO:HI, either side empty or '*' for automatic. */
static int parse_yrange(plot_t *p, const char *val)
{
    const char *colon = strchr(val, ':');
    char msg[128];
    if (!colon)
        return plot_fail(p, "--yrange takes LO:HI (numbers in the unit of the y axis; '*' for automatic), not '%s'", val);
    char lo[64], hi[64];
    snprintf(lo, sizeof lo, "%.*s", (int)(colon - val < 63 ? colon - val : 63), val);
    snprintf(hi, sizeof hi, "%s", colon + 1);
    p->o.has_ylo = lo[0] && strcmp(lo, "*");
    p->o.has_yhi = hi[0] && strcmp(hi, "*");
    if ((p->o.has_ylo && sim_units_parse_number(lo, &p->o.ylo, msg, sizeof msg)) ||
        (p->o.has_yhi && sim_units_parse_number(hi, &p->o.yhi, msg, sizeof msg)))
        return plot_fail(p, "--yrange takes LO:HI (numbers in the unit of the y axis; '*' for automatic), not '%s'", val);
    if (p->o.has_ylo && p->o.has_yhi && !(p->o.ylo < p->o.yhi))
        return plot_fail(p, "--yrange %s: LO must be below HI", val);
    return SIM_OK;
}

/* --hline Y[:LABEL]: a horizontal reference line at Y (in the unit of the y axis). */
static int parse_hline(plot_t *p, const char *val)
{
    char num[64], msg[128];
    const char *colon = strchr(val, ':');
    size_t n = colon ? (size_t)(colon - val) : strlen(val);
    if (p->o.nhline >= PLOT_MAX_HLINE)
        return plot_fail(p, "--hline: at most %d lines", PLOT_MAX_HLINE);
    snprintf(num, sizeof num, "%.*s", (int)(n < 63 ? n : 63), val);
    plot_hline_t *h = &p->o.hline[p->o.nhline];
    if (n >= sizeof num || sim_units_parse_number(num, &h->y, msg, sizeof msg) || !isfinite(h->y))
        return plot_fail(p, "--hline takes Y or Y:LABEL (Y a number in the unit of the y axis, e.g. 1.10:budget),"
                            " not '%s'", val);
    snprintf(h->label, sizeof h->label, "%s", colon ? colon + 1 : "");
    p->o.nhline++;
    return SIM_OK;
}

static int parse_args(plot_t *p, int argc, char **argv)
{
    plot_opts_t *o = &p->o;
    static const struct option longopts[] = {
        {"figure", required_argument, NULL, 256}, {"output", required_argument, NULL, 'o'},
        {"run", required_argument, NULL, 256},    {"policy", required_argument, NULL, 256},
        {"group", required_argument, NULL, 256},  {"study", required_argument, NULL, 256},
        {"where", required_argument, NULL, 256},  {"metric", required_argument, NULL, 256},
        {"x", required_argument, NULL, 256},      {"at", required_argument, NULL, 256},
        {"style", required_argument, NULL, 256},  {"size", required_argument, NULL, 256},
        {"as", required_argument, NULL, 256},     {"over", required_argument, NULL, 256},
        {"log", required_argument, NULL, 256},    {"paired", required_argument, NULL, 256},
        {"xlabel", required_argument, NULL, 256}, {"ylabel", required_argument, NULL, 256},
        {"yrange", required_argument, NULL, 256}, {"hline", required_argument, NULL, 256},
        {"yscale", required_argument, NULL, 256}, {"normalise", no_argument, NULL, 'N'},
        {"normalize", no_argument, NULL, 'N'},
        {"script-only", no_argument, NULL, 'S'},
        {"quiet", no_argument, NULL, 'q'},        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c, li = -1;
    optind = 0;
    while ((c = cli_getopt_index(argc, argv, "ho:q", longopts, &li, p->err, sizeof p->err)) != -1) {
        char name[32];
        const char *val = optarg;
        if (c == 'h')
            return CLI_HELP;
        if (c == '?')
            return SIM_EINPUT;
        if (c == 'S') {
            o->script_only = 1;
            continue;
        }
        if (c == 'q') {
            o->quiet = 1;
            continue;
        }
        if (c == 'N') {
            o->normalise = 1;
            continue;
        }
        if (c == 1) {
            if (o->db_path)
                return plot_fail(p, "unexpected argument '%s' (one DB only)", val);
            o->db_path = val;
            continue;
        }
        snprintf(name, sizeof name, c == 'o' ? "-o" : "--%s", longopts[li].name);
        if (!strcmp(name, "--figure")) {
            o->figure = val;
        } else if (!strcmp(name, "-o")) {
            o->out = val;
        } else if (!strcmp(name, "--where")) {
            const char *e = strchr(val, '=');
            if (!e)
                return plot_fail(p, "--where takes AXIS=VALUE (a study axis, section.key, run, policy, group or"
                                    " study), not '%s'", val);
            char k[300];
            /* --where policy=X is the stored policy.name, so that repeated ones are alternatives */
            snprintf(k, sizeof k, "%.*s", (int)(e - val), val);
            int rc = set_filter(p, strcmp(k, "policy") ? k : "policy.name", e + 1);
            if (rc)
                return rc;
        } else if (!strcmp(name, "--run") || !strcmp(name, "--policy") || !strcmp(name, "--group") ||
                   !strcmp(name, "--study")) {
            int rc = set_filter(p, name + 2, val);
            if (rc)
                return rc;
        } else if (!strcmp(name, "--metric")) {
            o->metric = val;
        } else if (!strcmp(name, "--x")) {
            o->x = val;
        } else if (!strcmp(name, "--at")) {
            char msg[256];
            sim_time_t ns;
            double s;
            if (!sim_units_parse_number(val, &s, msg, sizeof msg))
                o->at_s = s;
            else if (!sim_units_parse_duration(val, &ns, msg, sizeof msg))
                o->at_s = (double)ns / 1e9;
            else
                return plot_fail(p, "--at takes a time in seconds (or 30min, 2h), not '%s'", val);
            if (!(o->at_s >= 0 && o->at_s <= 9.2e9))      /* simulated time fits in int64 ns */
                return plot_fail(p, "--at must be between 0 and 9.2e9 s (about 290 years), not '%s'", val);
            o->has_at = 1;
        } else if (!strcmp(name, "--style")) {
            if (strcmp(val, "paper") && strcmp(val, "slides"))
                return plot_fail(p, "--style must be paper or slides, not '%s'", val);
            o->slides = !strcmp(val, "slides");
        } else if (!strcmp(name, "--size")) {
            if (parse_size(val, &o->size_w, &o->size_h))
                return plot_fail(p, "--size takes WxH (png: pixels, e.g. 800x500; pdf/svg/tex: inches, e.g. 3.3x2.2),"
                               " not '%s'", val);
            o->has_size = 1;
        } else if (!strcmp(name, "--as")) {
            o->as = val;
        } else if (!strcmp(name, "--over")) {
            o->over = val;
        } else if (!strcmp(name, "--paired")) {
            o->paired = val;
        } else if (!strcmp(name, "--xlabel")) {
            o->xlabel = val;
        } else if (!strcmp(name, "--ylabel")) {
            o->ylabel = val;
        } else if (!strcmp(name, "--yrange")) {
            int rc = parse_yrange(p, val);
            if (rc)
                return rc;
        } else if (!strcmp(name, "--hline")) {
            int rc = parse_hline(p, val);
            if (rc)
                return rc;
        } else if (!strcmp(name, "--yscale")) {
            if (strcmp(val, "shared") && strcmp(val, "panel"))
                return plot_fail(p, "--yscale must be shared or panel, not '%s'", val);
            o->yscale = val;
        } else if (!strcmp(name, "--log")) {
            if (strcmp(val, "x") && strcmp(val, "y") && strcmp(val, "xy") && strcmp(val, "yx"))
                return plot_fail(p, "--log must be x, y or xy, not '%s'", val);
            o->log = val;
        }
    }
    for (int i = optind; i < argc; i++) {                  /* after "--" */
        if (o->db_path)
            return plot_fail(p, "unexpected argument '%s' (one DB only)", argv[i]);
        o->db_path = argv[i];
    }
    if (!o->db_path)
        return plot_fail(p, "expected a results database DB");
    char list[256];
    if (!o->figure)
        return plot_fail(p, "--figure NAME is required (figures: %s)", figure_list(list, sizeof list));
    if (!o->out)
        return plot_fail(p, "-o FILE.{pdf,png,svg,tex} is required");
    return SIM_OK;
}

/* Outputs never clobber inputs (issue 15): no file plot may write -- the figure (for tex
 * also its graphics STEM.pdf), the script STEM.gp and the figure's data files -- may be
 * the input database or a file SQLite keeps beside it (-wal, -shm, -journal): same path,
 * another name, a hard link or a symlink (sim_same_file).  Called before anything is
 * created. */
static int check_outputs(plot_t *p)
{
    static const char *const beside[] = {"", "-wal", "-shm", "-journal"};
    enum { NOUT = 3 + PLOT_MAX_DATA };
    char outs[NOUT][5300], in[4200];
    size_t n = 0;
    snprintf(outs[n++], sizeof outs[0], "%s/%s.%s", p->dir, p->stem, p->ext);
    snprintf(outs[n++], sizeof outs[0], "%s/%s.%s.gp", p->dir, p->stem, p->ext);
    if (p->fmt == OUT_TEX)                       /* cairolatex: STEM.tex includes STEM.pdf */
        snprintf(outs[n++], sizeof outs[0], "%s/%s.pdf", p->dir, p->stem);
    for (size_t i = 0; p->data_sfx && p->data_sfx[i] && n < NOUT; i++)
        snprintf(outs[n++], sizeof outs[0], "%s/%s.%s%s", p->dir, p->stem, p->ext, p->data_sfx[i]);
    for (size_t k = 0; k < n; k++)
        for (size_t b = 0; b < sizeof beside / sizeof beside[0]; b++) {
            if (snprintf(in, sizeof in, "%s%s", p->o.db_path, beside[b]) >= (int)sizeof in)
                continue;
            if (sim_same_file(outs[k], in))
                return plot_fail(p, "%s: is the same file as the input database%s %s: an output never overwrites "
                                 "an input (choose another -o)", outs[k], b ? "'s" : "", in);
        }
    return SIM_OK;
}

/* Split -o into directory, stem and format; refuse outputs that are the input; create the
 * directory; size the figure. */
static int setup_output(plot_t *p)
{
    const char *out = p->o.out, *slash = strrchr(out, '/');
    const char *base = slash ? slash + 1 : out, *dot = strrchr(base, '.');
    static const struct { const char *ext; out_fmt_t fmt; } exts[] = {
        {"pdf", OUT_PDF}, {"png", OUT_PNG}, {"svg", OUT_SVG}, {"tex", OUT_TEX}};
    int found = 0;
    for (size_t i = 0; dot && i < sizeof exts / sizeof exts[0]; i++)
        if (!strcmp(dot + 1, exts[i].ext)) {
            p->fmt = exts[i].fmt;
            p->ext = exts[i].ext;
            found = 1;
        }
    if (!found)
        return plot_fail(p, "-o %s: the file name must end in .pdf, .png, .svg or .tex", out);
    size_t stem_len = (size_t)(dot - base);
    if (stem_len == 0 || stem_len >= sizeof p->stem - 16)
        return plot_fail(p, "-o %s: empty or too long file name", out);
    for (const char *c = base; c < dot; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              strchr("._+,=@-", *c)))
            return plot_fail(p, "-o %s: the file name may hold only letters, digits and . _ + , = @ - "
                           "(it is written into the gnuplot script)", out);
    snprintf(p->stem, sizeof p->stem, "%.*s", (int)stem_len, base);
    if (!slash)
        snprintf(p->dir, sizeof p->dir, ".");
    else if (slash == out)
        snprintf(p->dir, sizeof p->dir, "/");
    else
        snprintf(p->dir, sizeof p->dir, "%.*s", (int)(slash - out), out);
    int rc = check_outputs(p);
    if (rc)
        return rc;
    char merr[SIM_ERR_MAX];
    if (cli_mkdir_parents(out, merr, sizeof merr))
        return plot_fail(p, "%s", merr);
    /* size: style defaults; png in pixels, others in inches */
    p->font_pt = p->o.slides ? 14 : 8;
    p->w_in = p->o.slides ? 8 : 3.3;
    p->h_in = p->o.slides ? 4.5 : 2.2;
    if (p->fmt == OUT_PNG) {
        double dpi = p->o.slides ? 200 : 300;
        if (p->o.has_size) {
            p->px_w = (int)lround(p->o.size_w);
            p->px_h = (int)lround(p->o.size_h);
            p->h_in = p->w_in * p->o.size_h / p->o.size_w;
        } else {
            p->px_w = (int)lround(p->w_in * dpi);
            p->px_h = (int)lround(p->h_in * dpi);
        }
    } else if (p->o.has_size) {
        p->w_in = p->o.size_w;
        p->h_in = p->o.size_h;
    }
    snprintf(p->gp_path, sizeof p->gp_path, "%s/%s.%s.gp", p->dir, p->stem, p->ext);
    return SIM_OK;
}

static int open_db(plot_t *p)
{
    struct stat sb;
    const char *path = p->o.db_path;
    if (stat(path, &sb) != 0)
        return plot_fail(p, "%s: %s", path,
                    errno == ENOENT ? "no such database (run a scenario first: balloonsim run FILE -o DB)"
                                    : strerror(errno));
    if (S_ISDIR(sb.st_mode))
        return plot_fail(p, "%s: is a directory, not a results database", path);
    if (access(path, R_OK) != 0)
        return plot_fail(p, "%s: cannot read: %s", path, strerror(errno));
    if (sb.st_size == 0)
        return plot_fail(p, "%s: not a balloonsim database (the file is empty)", path);
    char err[SIM_ERR_MAX];
    int rc = db_open_readonly(path, &p->db, err, sizeof err);    /* plot writes nothing */
    if (rc) {
        snprintf(p->err, sizeof p->err, "%s", err);
        return SIM_EINPUT;
    }
    p->h = db_handle(p->db);
    if (stats_register_sql(p->h))
        return plot_fail(p, "%s: cannot register SQL functions: %s", p->o.db_path, sqlite3_errmsg(p->h));
    return SIM_OK;
}

static void remove_outputs(plot_t *p)
{
    char path[5300];
    for (int i = 0; i < p->ndata; i++) {
        snprintf(path, sizeof path, "%s/%s", p->dir, p->data[i]);
        unlink(path);
    }
    unlink(p->gp_path);
}

/* Run gnuplot on the script and check that it wrote the figure (for tex also its
 * STEM.pdf): an old figure is removed first, so that gnuplot exiting 0 without drawing
 * (it only warns on a bad command line) is an error, not a stale file reported as new. */
static int draw_figure(plot_t *p)
{
    const char *outs[2] = {p->ext, p->fmt == OUT_TEX ? "pdf" : NULL};
    char path[5300];
    for (int i = 0; i < 2 && outs[i]; i++) {
        snprintf(path, sizeof path, "%s/%s.%s", p->dir, p->stem, outs[i]);
        if (unlink(path) != 0 && errno != ENOENT)
            return plot_fail(p, "%s: cannot replace: %s", path, strerror(errno));
    }
    int rc = plot_run_gnuplot(p);
    for (int i = 0; i < 2 && outs[i] && !rc; i++) {
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s.%s", p->dir, p->stem, outs[i]);
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size == 0)
            rc = plot_fail(p, "gnuplot exited 0 but wrote no %s (its script: %s)", path, p->gp_path);
    }
    return rc;
}

/* --run N is the 0-based run index that `sweep --runs`, `--dry-run` and v_runs.run use
 * (issue 21), not the database's run_id; with several studies in the database, --study KEY
 * picks one.  Sets p->o.run_id to the run's run_id. */
static int resolve_run(plot_t *p)
{
    if (!p->o.has_run)
        return SIM_OK;
    sqlite3_stmt *st;
    int rc = plot_prepare(p, "SELECT run_id, study_key FROM runs WHERE run_index = ?1 AND (?2 IS NULL OR study_key = ?2)"
                             " ORDER BY run_id", &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, p->o.run_id);
    if (p->o.study)
        sqlite3_bind_text(st, 2, p->o.study, -1, SQLITE_STATIC);
    int64_t n = 0, id = 0;
    char keys[256] = "";
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n++ == 0)
            id = sqlite3_column_int64(st, 0);
        size_t used = strlen(keys);
        if (used < 200)
            snprintf(keys + used, sizeof keys - used, "%s%s", used ? ", " : "", plot_col_text(st, 1));
    }
    sqlite3_finalize(st);
    if (n > 1)
        return plot_fail(p, "run %lld exists in %lld studies of %s (%s): add --study KEY", (long long)p->o.run_id,
                         (long long)n, p->o.db_path, keys);
    if (n == 1) {
        p->o.run_id = id;
        return SIM_OK;
    }
    if ((rc = plot_prepare(p, "SELECT max(run_index), count(*) FROM runs WHERE ?1 IS NULL OR study_key = ?1", &st)))
        return rc;
    if (p->o.study)
        sqlite3_bind_text(st, 1, p->o.study, -1, SQLITE_STATIC);
    sqlite3_step(st);
    int64_t hi = sqlite3_column_int64(st, 0), cnt = sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);
    if (cnt == 0)
        return plot_fail(p, "no run %lld in %s: it holds no runs", (long long)p->o.run_id, p->o.db_path);
    return plot_fail(p, "no run %lld in %s (run indexes are 0-based, as in sweep --runs: 0..%lld)",
                     (long long)p->o.run_id, p->o.db_path, (long long)hi);
}

int cli_cmd_plot(int argc, char **argv)
{
    plot_t *p = calloc(1, sizeof *p);
    if (!p) {
        fputs("balloonsim plot: out of memory\n", stderr);
        return 2;
    }
    int rc = parse_args(p, argc, argv), status = 0;
    if (rc == CLI_HELP) {
        print_usage(stdout);
        free(p);
        return 0;
    }
    const plot_figure_t *fig = NULL;
    if (!rc && !(fig = find_figure(p->o.figure))) {
        char list[256];
        rc = plot_fail(p, "unknown figure '%s' (figures: %s)", p->o.figure, figure_list(list, sizeof list));
    } else if (!rc && p->o.paired && strcmp(fig->name, "sweep")) {
        rc = plot_fail(p, "--paired applies to figure sweep only, not %s", p->o.figure);
    }
    if (!rc) {
        p->data_sfx = fig->data;
        rc = setup_output(p);
    }
    if (!rc)
        rc = open_db(p);
    if (!rc)
        rc = resolve_run(p);
    if (!rc)
        rc = plot_select_runs(p);
    if (!rc && !(p->gp = fopen(p->gp_path, "w")))
        rc = plot_fail(p, "%s: cannot write: %s", p->gp_path, strerror(errno));
    if (!rc) {
        rc = fig->draw(p, argc, argv);
        int bad = ferror(p->gp);
        if (fclose(p->gp) != 0 || bad)
            rc = rc ? rc : plot_fail(p, "%s: write failed (disk full?)", p->gp_path);
        p->gp = NULL;
        if (rc)
            remove_outputs(p);
    }
    if (!rc && !p->o.script_only)
        rc = draw_figure(p);
    if (rc) {
        fprintf(stderr, "balloonsim plot: %s\n", p->err);
        status = 2;
    } else if (!p->o.quiet) {
        char script[1100];
        plot_script_arg(p, script, sizeof script);
        if (p->o.script_only)
            printf("wrote %s (run: cd %s && gnuplot %s)", p->gp_path, p->dir, script);
        else
            printf("wrote %s/%s.%s%s%s%s, script %s", p->dir, p->stem, p->ext, p->fmt == OUT_TEX ? " (+ " : "",
                   p->fmt == OUT_TEX ? p->stem : "", p->fmt == OUT_TEX ? ".pdf)" : "", p->gp_path);
        for (int i = 0; i < p->ndata; i++)
            printf("%s%s/%s", i ? ", " : ", data ", p->dir, p->data[i]);
        putchar('\n');
    }
    db_close(p->db);
    free(p);
    return status;
}

