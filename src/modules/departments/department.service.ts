import type { DataSource, SelectQueryBuilder } from 'typeorm';
import { requireByCode } from '../../database/by-code';
import { Department } from './department.entity';

export function requireDepartment(dataSource: DataSource, code: string): Promise<Department> {
  return requireByCode(dataSource, Department, 'department', code);
}

/** Departments, only those that existed on `asOf` when it is given (a connection orders and pages them). */
export async function departmentsQuery(dataSource: DataSource, asOf?: string | null): Promise<SelectQueryBuilder<Department>> {
  const query = dataSource.getRepository(Department).createQueryBuilder('department');
  if (asOf) {
    query
      .andWhere('(department.validFrom IS NULL OR department.validFrom <= :asOf)', { asOf })
      .andWhere('(department.validTo IS NULL OR department.validTo > :asOf)');
  }
  return query;
}
