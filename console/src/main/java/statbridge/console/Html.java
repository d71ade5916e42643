package statbridge.console;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** Text made safe for HTML, and the frame every console page shares. */
final class Html {

    static final String STYLE = """
            body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d232a;background:#f6f7f9}
            header{background:#1d3557;color:#fff;padding:10px 20px;display:flex;gap:24px;align-items:baseline}
            header a{color:#fff} header h1{font-size:18px;margin:0}
            main{padding:12px 20px;max-width:1400px}
            section{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:10px 14px;margin:0 0 12px}
            h2{font-size:15px;margin:0 0 6px} table{border-collapse:collapse;font-size:13px} td,th{padding:3px 10px 3px 0;text-align:left;vertical-align:top}
            code{background:#eef1f4;padding:1px 4px;border-radius:3px;font-size:12px}
            .cmd{color:#5a6472;font-size:12px;margin-top:6px} .muted{color:#5a6472}
            .badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;font-size:12px}
            .ok{background:#d8f3dc;color:#1b4332} .bad{background:#ffd6d6;color:#7a1010} .warn{background:#fff1c2;color:#6b4e00}
            .grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:12px}
            .metrics{grid-template-columns:repeat(auto-fit,minmax(880px,1fr))}
            .pair{display:flex;gap:10px;flex-wrap:wrap} .shape{font-size:12px;color:#5a6472}
            svg.chart{background:#fff} svg.chart .plot{fill:#fafbfc;stroke:#dde1e6} svg.chart text{font-size:10px;fill:#5a6472}
            svg.chart .line{fill:none;stroke:#1d6fb8;stroke-width:1.5} svg.chart circle{fill:#1d6fb8}
            svg.chart.kpi .line{stroke:#b85c1d} svg.chart.kpi circle{fill:#b85c1d}
            form label{margin-right:10px;font-size:13px} .error{background:#ffd6d6;border-color:#e0a0a0}
            """;

    private Html() {
    }

    static String escape(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    static String url(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    /** A command a person runs to change or explain what the item shows. */
    static String command(String... commands) {
        StringBuilder out = new StringBuilder("<div class=\"cmd\">");
        for (int i = 0; i < commands.length; i++) {
            out.append(i == 0 ? "" : " &middot; ").append("<code>").append(escape(commands[i])).append("</code>");
        }
        return out.append("</div>").toString();
    }

    static String page(String title, String body, boolean refresh) {
        return "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + escape(title) + "</title>"
                + (refresh ? "<meta http-equiv=\"refresh\" content=\"15\">" : "")
                + "<style>" + STYLE + "</style></head><body><header><h1>statbridge console</h1>"
                + "<a href=\"/\">Migration</a><a href=\"/model\">Model Health</a><span class=\"muted\" style=\"color:#b8c4d6\">read-only</span>"
                + "</header><main>" + body + "</main></body></html>";
    }
}
