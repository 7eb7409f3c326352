import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { Card } from "../components/card.tsx";
import { DisclosureRow } from "../components/disclosure-row.tsx";
import { Facts } from "../components/facts.tsx";
import { QueryState } from "../components/query-state.tsx";
import { Badge, Button, ConfirmDialog, InlineError, Loading, PageHeader, Progress } from "../components/ui.tsx";
import { api } from "../lib/api.ts";
import { useConfirmed } from "../lib/confirmed.ts";
import { prettyJson, useFormat } from "../lib/format.ts";
import { useI18n } from "../lib/i18n.tsx";
import type { DeadDeliveries, DeadLetter, DeadLetterQueue, Delivery, DlqAnswer, RedriveJob } from "../lib/types.ts";

const BATCH = 100;

export default function DeadLettersPage() {
  const { t } = useI18n();
  const dlq = useQuery({
    queryKey: ["dlq"],
    queryFn: ({ signal }) => api.get<DlqAnswer>("/api/admin/dlq", signal),
    refetchInterval: 10_000,
  });
  const queues = [...(dlq.data?.queues ?? [])].sort((a, b) => b.dead - a.dead || a.queue.localeCompare(b.queue));
  const totalDead = queues.reduce((sum, queue) => sum + queue.dead, 0) + (dlq.data?.deliveries?.dead ?? 0);
  return (
    <>
      <PageHeader
        title={t("dlq.title")}
        description={t("dlq.intro")}
        actions={
          <Button onPress={() => void dlq.refetch()} isDisabled={dlq.isFetching}>
            {dlq.isFetching ? t("common.refreshing") : t("common.refresh")}
          </Button>
        }
      />
      <QueryState query={dlq}>
        {(data) => (
          <>
            <p className={`notice ${totalDead > 0 ? "notice-warn" : "notice-ok"}`} role="status" data-testid="dlq-total">
              {totalDead > 0 ? t("dlq.totalDead", { count: totalDead }) : `✓ ${t("dlq.allClear")}`}
            </p>
            <ul className="card-grid" aria-label={t("dlq.sources")}>
              {queues.map((queue) => (
                <li key={queue.queue}>
                  <QueueCard queue={queue} />
                </li>
              ))}
              {data.deliveries ? (
                <li>
                  <DeliveriesCard summary={data.deliveries} />
                </li>
              ) : null}
            </ul>
          </>
        )}
      </QueryState>
    </>
  );
}

/** A dead-letter source's card: its name, dead count and counters, then what the source adds. */
function SourceCard({ id, title, dead, counters, children }: { id: string; title: string; dead: number; counters: { label: string; value: string | number }[]; children: ReactNode }) {
  const { t } = useI18n();
  return (
    <Card
      id={`queue-${id}`}
      title={title}
      alert={dead > 0}
      data={{ "data-queue": id }}
      badges={dead > 0 ? <Badge tone="danger">{t("dlq.deadCount", { count: dead })}</Badge> : <Badge tone="ok">{t("dlq.clear")}</Badge>}
    >
      <Counters items={counters} />
      {children}
    </Card>
  );
}

function Counters({ items }: { items: { label: string; value: string | number }[] }) {
  return (
    <dl className="counters">
      {items.map((item) => (
        <div key={item.label}>
          <dt>{item.label}</dt>
          <dd>{item.value}</dd>
        </div>
      ))}
    </dl>
  );
}

function QueueCard({ queue }: { queue: DeadLetterQueue }) {
  const { t } = useI18n();
  const format = useFormat();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const [progress, setProgress] = useState<{ moved: number; total: number; running: boolean } | undefined>();
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["dlq"] });
  const one = useMutation({
    mutationFn: (id: string) => api.post<{ moved: number }>(`/api/admin/dlq/${queue.queue}/redrive`, { ids: [id] }),
    onSettled: refresh,
  });
  const all = useMutation({
    mutationFn: async () => {
      const total = queue.dead;
      let moved = 0;
      setProgress({ moved, total, running: true });
      // In batches, so a large dead-letter queue shows progress and a failure stops part-way, not silently.
      for (;;) {
        const answer = await api.post<{ moved: number }>(`/api/admin/dlq/${queue.queue}/redrive`, { max: BATCH });
        moved += answer.moved;
        setProgress({ moved, total: Math.max(total, moved), running: true });
        if (answer.moved < BATCH || moved >= total) break;
      }
      setProgress({ moved, total: Math.max(total, moved), running: false });
      return moved;
    },
    onSettled: () => {
      setConfirming(false);
      void refresh();
    },
  });
  return (
    <SourceCard
      id={queue.queue}
      title={t("dlq.queue", { name: queue.queue })}
      dead={queue.dead}
      counters={[
        { label: t("dlq.dead"), value: queue.dead },
        { label: t("dlq.oldest"), value: queue.dead > 0 ? format.age(queue.oldestAgeSeconds) : "—" },
        { label: t("dlq.visible"), value: queue.visible },
        { label: t("dlq.inFlight"), value: queue.inFlight },
        { label: t("dlq.delayed"), value: queue.delayed },
      ]}
    >
      {queue.sample.length > 0 ? (
        <div className="samples">
          <h3 className="small-heading">{t("dlq.samples")}</h3>
          {queue.sample.map((letter) => (
            <LetterView key={letter.id} letter={letter} onRedrive={() => one.mutate(letter.id)} pending={one.isPending && one.variables === letter.id} />
          ))}
        </div>
      ) : null}
      {progress ? (
        <div aria-live="polite">
          <Progress label={progress.running ? t("dlq.redriving") : t("dlq.redriven", { count: progress.moved })} value={progress.moved} max={progress.total} />
        </div>
      ) : null}
      <InlineError error={one.error ?? all.error} />
      {one.isSuccess ? (
        <p className="notice notice-ok" role="status">
          ✓ {t("dlq.redrivenOne", { count: one.data.moved })}
        </p>
      ) : null}
      {queue.dead > 0 ? (
        <div className="card-actions">
          <Button variant="primary" small onPress={() => setConfirming(true)} isDisabled={all.isPending}>
            {t("dlq.redriveAll", { count: queue.dead })}
          </Button>
        </div>
      ) : null}
      <ConfirmDialog
        title={t("dlq.redriveAllTitle", { name: queue.queue })}
        isOpen={confirming}
        onOpenChange={setConfirming}
        confirmLabel={t("dlq.redriveAllConfirm", { count: queue.dead })}
        onConfirm={() => all.mutate()}
        pending={all.isPending}
        error={all.error}
        tone="primary"
      >
        <p>{t("dlq.redriveAllBody", { count: queue.dead, name: queue.queue })}</p>
        {progress?.running ? <Progress label={t("dlq.redriving")} value={progress.moved} max={progress.total} /> : null}
      </ConfirmDialog>
    </SourceCard>
  );
}

function LetterView({ letter, onRedrive, pending }: { letter: DeadLetter; onRedrive: () => void; pending: boolean }) {
  const { t } = useI18n();
  const format = useFormat();
  let type = "";
  try {
    type = String((JSON.parse(letter.body) as { type?: unknown }).type ?? "");
  } catch {
    type = "";
  }
  return (
    <DisclosureRow
      level={4}
      summary={
        <span>
          <code>{type || letter.id.slice(0, 12)}</code>{" "}
          <span className="muted small">
            {t("dlq.receives", { count: letter.receiveCount })} · {letter.deadAt ? t("dlq.deadSince", { when: format.relative(letter.deadAt) }) : format.relative(letter.sentAt)}
          </span>
        </span>
      }
    >
      <Facts
        items={[
          [t("dlq.messageId"), <code>{letter.id}</code>],
          [t("dlq.sentAt"), format.dateTime(letter.sentAt)],
          [t("dlq.deadAt"), letter.deadAt && format.dateTime(letter.deadAt)],
        ]}
      />
      <pre className="code-block" tabIndex={0} aria-label={t("dlq.body")}>
        {prettyJson(letter.body)}
      </pre>
      <Button small onPress={onRedrive} isDisabled={pending}>
        {pending ? t("common.working") : t("dlq.redriveOne")}
      </Button>
    </DisclosureRow>
  );
}

function DeliveriesCard({ summary }: { summary: DeadDeliveries }) {
  const { t } = useI18n();
  const format = useFormat();
  const queryClient = useQueryClient();
  const [jobId, setJobId] = useState<string | undefined>();
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["dlq"] });
  const one = useMutation({
    mutationFn: (id: string) => api.post<Delivery>(`/api/admin/deliveries/${id}/redrive`),
    onSettled: refresh,
  });
  const start = useConfirmed(
    () => api.post<RedriveJob>("/api/admin/deliveries/redrive", {}),
    { onSuccess: (job) => setJobId(job.id) },
  );
  const job = useQuery({
    queryKey: ["redrive-job", jobId],
    queryFn: ({ signal }) => api.get<RedriveJob>(`/api/admin/deliveries/redrive/${jobId}`, signal),
    enabled: Boolean(jobId),
    refetchInterval: (query) => (query.state.data?.status === "done" ? false : 1000),
  });
  const done = job.data?.status === "done";
  return (
    <SourceCard
      id="deliveries"
      title={t("dlq.deliveries")}
      dead={summary.dead}
      counters={[
        { label: t("dlq.dead"), value: summary.truncated ? `${summary.dead}+` : summary.dead },
        { label: t("dlq.oldest"), value: summary.dead > 0 ? format.age(summary.oldestAgeSeconds) : "—" },
      ]}
    >
      {summary.sample.length > 0 ? (
        <div className="samples">
          <h3 className="small-heading">{t("dlq.samples")}</h3>
          <ul className="plain-list">
            {summary.sample.map((delivery) => (
              <li key={delivery.id} className="sample-row">
                <span>
                  <code>{delivery.eventType}</code>{" "}
                  <span className="muted small">
                    {t("deliveries.attemptsCount", { count: delivery.totalAttempts })}
                    {delivery.deadReason ? ` · ${delivery.deadReason}` : ""}
                  </span>
                </span>
                <Button small onPress={() => one.mutate(delivery.id)} isDisabled={one.isPending}>
                  {t("dlq.redriveOne")}
                </Button>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {jobId ? (
        <div aria-live="polite">
          {job.data ? (
            <Progress
              label={done ? t("dlq.jobDone", { count: job.data.redriven }) : t("dlq.redriving")}
              value={done ? Math.max(job.data.scanned, 1) : job.data.scanned}
              max={done ? Math.max(job.data.scanned, 1) : Math.max(summary.dead, job.data.scanned)}
            />
          ) : (
            <Loading label={t("dlq.redriving")} />
          )}
        </div>
      ) : null}
      <InlineError error={one.error ?? start.mutation.error ?? job.error} />
      {summary.dead > 0 ? (
        <div className="card-actions">
          <Button variant="primary" small onPress={() => start.ask()} isDisabled={Boolean(jobId && !done)}>
            {t("dlq.redriveAll", { count: summary.dead })}
          </Button>
        </div>
      ) : null}
      <ConfirmDialog {...start.dialog} title={t("dlq.redriveAllTitle", { name: t("dlq.deliveries") })} confirmLabel={t("dlq.redriveAllConfirm", { count: summary.dead })} tone="primary">
        <p>{t("dlq.redriveDeliveriesBody", { count: summary.dead })}</p>
      </ConfirmDialog>
    </SourceCard>
  );
}
