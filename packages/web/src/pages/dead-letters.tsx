import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Disclosure, DisclosurePanel, Heading, Button as AriaButton } from "react-aria-components";
import { Badge, Button, ConfirmDialog, ErrorState, InlineError, Loading, PageHeader, Progress } from "../components/ui.tsx";
import { api } from "../lib/api.ts";
import { useFormat } from "../lib/format.ts";
import { useI18n } from "../lib/i18n.tsx";
import type { DeadDeliveries, DeadLetter, DeadLetterQueue, Delivery, DlqAnswer, RedriveJob } from "../lib/types.ts";

const BATCH = 100;

function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

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
      {dlq.isPending ? (
        <Loading />
      ) : dlq.isError ? (
        <ErrorState error={dlq.error} onRetry={() => void dlq.refetch()} />
      ) : (
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
            {dlq.data.deliveries ? (
              <li>
                <DeliveriesCard summary={dlq.data.deliveries} />
              </li>
            ) : null}
          </ul>
        </>
      )}
    </>
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
  const headingId = `queue-${queue.queue}`;
  return (
    <article className={`card${queue.dead > 0 ? " card-alert" : ""}`} aria-labelledby={headingId} data-queue={queue.queue}>
      <div className="card-head">
        <h2 id={headingId} className="card-title">
          {t("dlq.queue", { name: queue.queue })}
        </h2>
        {queue.dead > 0 ? <Badge tone="danger">{t("dlq.deadCount", { count: queue.dead })}</Badge> : <Badge tone="ok">{t("dlq.clear")}</Badge>}
      </div>
      <Counters
        items={[
          { label: t("dlq.dead"), value: queue.dead },
          { label: t("dlq.oldest"), value: queue.dead > 0 ? format.age(queue.oldestAgeSeconds) : "—" },
          { label: t("dlq.visible"), value: queue.visible },
          { label: t("dlq.inFlight"), value: queue.inFlight },
          { label: t("dlq.delayed"), value: queue.delayed },
        ]}
      />
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
    </article>
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
    <Disclosure className="disclosure">
      <Heading level={4} className="disclosure-heading">
        <AriaButton slot="trigger" className="disclosure-trigger">
          <span aria-hidden="true" className="chevron">
            ▸
          </span>
          <span>
            <code>{type || letter.id.slice(0, 12)}</code>{" "}
            <span className="muted small">
              {t("dlq.receives", { count: letter.receiveCount })} · {letter.deadAt ? t("dlq.deadSince", { when: format.relative(letter.deadAt) }) : format.relative(letter.sentAt)}
            </span>
          </span>
        </AriaButton>
      </Heading>
      <DisclosurePanel className="disclosure-panel">
        <dl className="facts">
          <dt>{t("dlq.messageId")}</dt>
          <dd>
            <code>{letter.id}</code>
          </dd>
          <dt>{t("dlq.sentAt")}</dt>
          <dd>{format.dateTime(letter.sentAt)}</dd>
          {letter.deadAt ? (
            <>
              <dt>{t("dlq.deadAt")}</dt>
              <dd>{format.dateTime(letter.deadAt)}</dd>
            </>
          ) : null}
        </dl>
        <pre className="code-block" tabIndex={0} aria-label={t("dlq.body")}>
          {pretty(letter.body)}
        </pre>
        <Button small onPress={onRedrive} isDisabled={pending}>
          {pending ? t("common.working") : t("dlq.redriveOne")}
        </Button>
      </DisclosurePanel>
    </Disclosure>
  );
}

function DeliveriesCard({ summary }: { summary: DeadDeliveries }) {
  const { t } = useI18n();
  const format = useFormat();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const [jobId, setJobId] = useState<string | undefined>();
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["dlq"] });
  const one = useMutation({
    mutationFn: (id: string) => api.post<Delivery>(`/api/admin/deliveries/${id}/redrive`),
    onSettled: refresh,
  });
  const start = useMutation({
    mutationFn: () => api.post<RedriveJob>("/api/admin/deliveries/redrive", {}),
    onSuccess: (job) => {
      setJobId(job.id);
      setConfirming(false);
    },
  });
  const job = useQuery({
    queryKey: ["redrive-job", jobId],
    queryFn: ({ signal }) => api.get<RedriveJob>(`/api/admin/deliveries/redrive/${jobId}`, signal),
    enabled: Boolean(jobId),
    refetchInterval: (query) => (query.state.data?.status === "done" ? false : 1000),
  });
  const done = job.data?.status === "done";
  return (
    <article className={`card${summary.dead > 0 ? " card-alert" : ""}`} aria-labelledby="queue-deliveries" data-queue="deliveries">
      <div className="card-head">
        <h2 id="queue-deliveries" className="card-title">
          {t("dlq.deliveries")}
        </h2>
        {summary.dead > 0 ? <Badge tone="danger">{t("dlq.deadCount", { count: summary.dead })}</Badge> : <Badge tone="ok">{t("dlq.clear")}</Badge>}
      </div>
      <Counters
        items={[
          { label: t("dlq.dead"), value: summary.truncated ? `${summary.dead}+` : summary.dead },
          { label: t("dlq.oldest"), value: summary.dead > 0 ? format.age(summary.oldestAgeSeconds) : "—" },
        ]}
      />
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
      <InlineError error={one.error ?? start.error ?? job.error} />
      {summary.dead > 0 ? (
        <div className="card-actions">
          <Button variant="primary" small onPress={() => setConfirming(true)} isDisabled={Boolean(jobId && !done)}>
            {t("dlq.redriveAll", { count: summary.dead })}
          </Button>
        </div>
      ) : null}
      <ConfirmDialog
        title={t("dlq.redriveAllTitle", { name: t("dlq.deliveries") })}
        isOpen={confirming}
        onOpenChange={setConfirming}
        confirmLabel={t("dlq.redriveAllConfirm", { count: summary.dead })}
        onConfirm={() => start.mutate()}
        pending={start.isPending}
        error={start.error}
        tone="primary"
      >
        <p>{t("dlq.redriveDeliveriesBody", { count: summary.dead })}</p>
      </ConfirmDialog>
    </article>
  );
}
