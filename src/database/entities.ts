import { PilotModel, PilotModelChange } from '../modules/catalogue/pilot-model.entity';
import { Program } from '../modules/catalogue/program.entity';
import { TaskGroup } from '../modules/catalogue/task-group.entity';
import { Task, TaskChange } from '../modules/catalogue/task.entity';
import { Department } from '../modules/departments/department.entity';
import { DepartmentMove, DepartmentReorganization, DepartmentSuccession } from '../modules/departments/reorganization.entity';
import { ObservationRevision } from '../modules/observations/observation-revision.entity';
import { ConnectorRun, ConnectorRunLock, RunRejection, SkippedFire } from '../modules/connectors/connector-run.entity';
import { Connector, ConnectorMappingVersion, ConnectorSecret } from '../modules/connectors/connector.entity';
import { Metric, MetricChange } from '../modules/metrics/metric.entity';
import { AuditEvent } from '../security/audit-event.entity';
import { OutboundHost, OutboundHostDepartment } from '../modules/outbound/outbound-host.entity';
import { SchedulerLease } from '../scheduler/scheduler-lease.entity';
import { Observation } from '../modules/observations/observation.entity';
import { ObservationRollup } from '../modules/observations/observation-rollup.entity';
import { AdministrativeUnit, UnitPredecessor } from '../modules/units/administrative-unit.entity';
import { ApiKey } from '../security/api-key.entity';
import { RateLimitCounter } from '../security/rate-limit-counter.entity';
import { SecretKeyCheck } from '../security/secret-key-check.entity';
import { LiveEvent } from '../live/live-event.entity';

export const entities = [
  Department,
  DepartmentReorganization,
  DepartmentSuccession,
  DepartmentMove,
  Program,
  TaskGroup,
  Task,
  TaskChange,
  PilotModel,
  PilotModelChange,
  AdministrativeUnit,
  UnitPredecessor,
  Metric,
  MetricChange,
  Observation,
  ObservationRevision,
  ObservationRollup,
  Connector,
  ConnectorMappingVersion,
  ConnectorSecret,
  SecretKeyCheck,
  ConnectorRun,
  RunRejection,
  ConnectorRunLock,
  SkippedFire,
  SchedulerLease,
  ApiKey,
  AuditEvent,
  RateLimitCounter,
  OutboundHost,
  OutboundHostDepartment,
  LiveEvent,
];
