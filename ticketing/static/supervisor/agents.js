/*
 * Supervisor console: the agents tab (agent and team performance).
 */
import { appendAll, clear, DASH, fetchReport, fmtAvg, fmtCount, fmtMinutes, h, query, t, ui } from "./core.js";
import { cardHead, table } from "./figures.js";
import { periodParams } from "./period.js";

// ---------------------------------------------------------------------------------------
// Agents
// ---------------------------------------------------------------------------------------

export function loadAgentsReport() {
  return fetchReport("agents", "/api/reports/agents" + query(periodParams()), renderAgents);
}

function renderAgents(r) {
  var howText = r.how || {};
  var csat = function (block) {
    return block && block.count ? fmtAvg(block.average) + " (" + fmtCount(block.count) + ")" : DASH;
  };
  var p = function (d) {
    return d && d.count ? fmtMinutes(d.p50) + " / " + fmtMinutes(d.p90) : DASH;
  };
  appendAll(clear(ui.agents), [
    h("article", { class: "card", id: "card-agents" }, [
      cardHead(t("sup.c.agents"), null),
      table(
        [
          { label: t("agent") },
          { label: t("sup.chatsHandled"), cls: "num", how: howText.chats_handled },
          { label: t("sup.messagesSent"), cls: "num", how: howText.messages_sent },
          { label: t("sup.ticketsHandled"), cls: "num", how: howText.tickets_handled },
          { label: t("sup.ticketsResolved"), cls: "num", how: howText.tickets_resolved },
          { label: t("sup.firstResponseP"), cls: "num", how: howText.first_response },
          { label: t("sup.nextResponseP"), cls: "num", how: howText.next_response },
          { label: t("sup.resolutionP"), cls: "num", how: howText.resolution },
          { label: t("sup.csatCount"), cls: "num", how: howText.csat },
        ],
        r.agents.map(function (a) {
          return [
            a.agent.name + (a.agent.role && a.agent.role !== "agent" ? " (" + a.agent.role + ")" : ""),
            fmtCount(a.chats_handled),
            fmtCount(a.messages_sent),
            fmtCount(a.tickets_handled),
            fmtCount(a.tickets_resolved),
            p(a.first_response),
            p(a.next_response),
            p(a.resolution),
            csat(a.csat),
          ];
        }),
        t("sup.noAgents"),
        t("sup.c.agents")
      ),
    ]),
    h("article", { class: "card", id: "card-teams" }, [
      cardHead(t("sup.c.teams"), null),
      table(
        [
          { label: t("team") },
          { label: t("sup.chatsHandled"), cls: "num", how: howText.tickets_handled },
          { label: t("sup.ticketsHandled"), cls: "num", how: howText.tickets_handled },
          { label: t("sup.ticketsResolved"), cls: "num", how: howText.tickets_resolved },
          { label: t("sup.firstResponseP"), cls: "num", how: howText.first_response },
          { label: t("sup.resolutionP"), cls: "num", how: howText.resolution },
          { label: t("sup.csatCount"), cls: "num", how: howText.csat },
        ],
        r.teams.map(function (team) {
          return [team.team.name || team.team.key, fmtCount(team.chats_handled), fmtCount(team.tickets_handled), fmtCount(team.tickets_resolved), p(team.first_response), p(team.resolution), csat(team.csat)];
        }),
        t("sup.noTeams"),
        t("sup.c.teams")
      ),
      h("p", { class: "muted small", text: t("sup.pFormat") + " " + t("sup.businessMinutes") }),
    ]),
  ]);
}
