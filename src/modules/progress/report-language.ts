/**
 * The words of the progress report's Markdown and of its CSV's text cells, in Vietnamese (the default of the
 * downloads, `lang=vi`) and English (`lang=en`); names come from the catalogue in the same language.
 */
export type ReportLanguage = 'vi' | 'en';

export const REPORT_LANGUAGES: readonly ReportLanguage[] = ['vi', 'en'];

const en = {
  title: (program: string, period: string) => `${program} — progress report ${period}`,
  intro: (code: string, decision: string, period: string, asOf: string) => `Programme **${code}** (${decision}). Period **${period}**, situation as of **${asOf}**.`,
  headline: 'Headline',
  countsHeader: ['', 'total', 'completed', 'in progress', 'not started', 'overdue'],
  tasks: 'Tasks',
  models: 'Pilot models',
  deadlines: 'Deadlines falling in the period',
  scoreHeader: ['', 'due', 'done on time', 'done late', 'done, date not recorded', 'open, overdue', 'open, not yet due'],
  taskGroups: 'Task groups',
  taskGroupHeader: ['Code', 'Task group', 'Lead department', 'Tasks', 'Completed', 'Overdue', 'Models completed / in progress / not started'],
  overdue: 'Overdue — clear person, clear task, clear time',
  overdueHeader: ['Kind', 'Code', 'Task / pilot model', 'Lead department', 'Responsible person', 'Deadline', 'Days late'],
  task: 'task',
  model: 'pilot model',
  departments: 'Departments',
  departmentsIntro: (period: string, asOf: string) => `Tasks whose deadline falls in ${period}; models by status; metric freshness on ${asOf}; connector runs in the period.`,
  departmentHeader: ['Code', 'Department', 'Tasks due', 'On time', 'Late', 'Undated', 'Overdue', 'Not yet due', 'Models C / IP / NS', 'Connectors', 'Metrics on time / late / missing', 'Runs', 'Rejection rate'],
  metrics: 'Metrics behind target or stale',
  metricHeader: ['Metric', 'Name', 'Pilot model', 'Model status', 'Department', 'Latest period', 'Actual', 'Target', 'Target date', 'Progress', 'Freshness'],
  changes: 'Status changes in the period',
  changeHeader: ['Date', 'Kind', 'Code', 'Task / pilot model', 'From', 'To', 'By', 'Note'],
  none: '_None._',
};

const vi: typeof en = {
  title: (program, period) => `${program} — báo cáo tiến độ ${period}`,
  intro: (code, decision, period, asOf) => `Đề án **${code}** (${decision}). Kỳ **${period}**, tình hình tính đến **${asOf}**.`,
  headline: 'Tổng hợp',
  countsHeader: ['', 'tổng số', 'hoàn thành', 'đang triển khai', 'chưa triển khai', 'quá hạn'],
  tasks: 'Nhiệm vụ',
  models: 'Mô hình thí điểm',
  deadlines: 'Các thời hạn rơi vào kỳ',
  scoreHeader: ['', 'đến hạn', 'xong đúng hạn', 'xong trễ hạn', 'xong, chưa ghi ngày', 'chưa xong, quá hạn', 'chưa xong, chưa đến hạn'],
  taskGroups: 'Nhóm nhiệm vụ',
  taskGroupHeader: ['Mã', 'Nhóm nhiệm vụ', 'Đơn vị chủ trì', 'Nhiệm vụ', 'Hoàn thành', 'Quá hạn', 'Mô hình hoàn thành / đang triển khai / chưa triển khai'],
  overdue: 'Quá hạn — rõ người, rõ việc, rõ thời gian',
  overdueHeader: ['Loại', 'Mã', 'Nhiệm vụ / mô hình thí điểm', 'Đơn vị chủ trì', 'Người chịu trách nhiệm', 'Thời hạn', 'Số ngày trễ'],
  task: 'nhiệm vụ',
  model: 'mô hình thí điểm',
  departments: 'Các sở, ngành',
  departmentsIntro: (period, asOf) => `Nhiệm vụ có thời hạn trong kỳ ${period}; mô hình theo trạng thái; độ mới của chỉ số ngày ${asOf}; các lần chạy kết nối trong kỳ.`,
  departmentHeader: ['Mã', 'Đơn vị', 'Nhiệm vụ đến hạn', 'Đúng hạn', 'Trễ hạn', 'Chưa ghi ngày', 'Quá hạn', 'Chưa đến hạn', 'Mô hình HT / ĐTK / CTK', 'Kết nối', 'Chỉ số đúng hạn / trễ / thiếu', 'Lần chạy', 'Tỷ lệ từ chối'],
  metrics: 'Chỉ số chậm so với mục tiêu hoặc không cập nhật',
  metricHeader: ['Chỉ số', 'Tên', 'Mô hình thí điểm', 'Trạng thái mô hình', 'Đơn vị', 'Kỳ gần nhất', 'Thực tế', 'Mục tiêu', 'Hạn mục tiêu', 'Tiến độ', 'Độ mới'],
  changes: 'Thay đổi trạng thái trong kỳ',
  changeHeader: ['Ngày', 'Loại', 'Mã', 'Nhiệm vụ / mô hình thí điểm', 'Từ', 'Sang', 'Người thay đổi', 'Ghi chú'],
  none: '_Không có._',
};

export const REPORT_WORDS: Record<ReportLanguage, typeof en> = { vi, en };

/** Positions and organisations of the catalogue's responsible persons, in Vietnamese. */
const POSITIONS: Array<[string, string]> = [
  ['Deputy Chief', 'Phó Chánh Văn phòng'],
  ['Chief Inspector', 'Chánh Thanh tra'],
  ['Deputy Director', 'Phó Giám đốc'],
  ['Director', 'Giám đốc'],
  ['Head', 'Trưởng'],
];

const ORGANISATIONS: Record<string, string> = {
  "Provincial People's Committee Office": 'Văn phòng UBND tỉnh',
  'Department of Home Affairs': 'Sở Nội vụ',
  'Department of Education and Training': 'Sở Giáo dục và Đào tạo',
  'Department of Health': 'Sở Y tế',
  'Department of Information and Communications': 'Sở Thông tin và Truyền thông',
  'Department of Justice': 'Sở Tư pháp',
  'Department of Labour, Invalids and Social Affairs': 'Sở Lao động - Thương binh và Xã hội',
  'Department of Natural Resources and Environment': 'Sở Tài nguyên và Môi trường',
  'Department of Transport': 'Sở Giao thông vận tải',
  'Provincial Police': 'Công an tỉnh',
  'Provincial Public Administration Service Centre': 'Trung tâm Phục vụ hành chính công tỉnh',
  'Provincial Social Insurance': 'Bảo hiểm xã hội tỉnh',
  'VNPT Nghệ An': 'VNPT Nghệ An',
  'Vietnam Bank for Social Policies, Nghệ An branch': 'Ngân hàng Chính sách xã hội chi nhánh Nghệ An',
  'Provincial Digital Transformation Centre': 'Trung tâm Chuyển đổi số tỉnh',
  'Provincial Land Registration Office': 'Văn phòng Đăng ký đất đai tỉnh',
  'Administrative Police Division for Social Order, Provincial Police': 'phòng Cảnh sát quản lý hành chính về trật tự xã hội, Công an tỉnh',
  'Administrative and Judicial Affairs Division, Department of Justice': 'phòng Hành chính tư pháp, Sở Tư pháp',
  'Emulation and Commendation Board, Department of Home Affairs': 'ban Thi đua - Khen thưởng, Sở Nội vụ',
  'Immigration Division, Provincial Police': 'phòng Quản lý xuất nhập cảnh, Công an tỉnh',
  'Planning and Finance Division, Department of Health': 'phòng Kế hoạch - Tài chính, Sở Y tế',
  'Press and Publication Division, Department of Information and Communications': 'phòng Báo chí - Xuất bản, Sở Thông tin và Truyền thông',
  'Professional Affairs Division, Department of Health': 'phòng Nghiệp vụ, Sở Y tế',
  'Traffic Police Division, Provincial Police': 'phòng Cảnh sát giao thông, Công an tỉnh',
};

/**
 * A responsible person's title in the report's language: the catalogue's English titles ("Deputy Director,
 * Department of Health") in Vietnamese ("Phó Giám đốc Sở Y tế"); any other text (a name someone entered) as it is.
 */
export function personTitle(text: string | null, lang: ReportLanguage): string {
  // A pilot model may have no responsible person yet.
  if (text == null) return lang === 'en' ? 'not named yet' : 'chưa phân công';
  if (lang === 'en') return text;
  for (const [position, vietnamese] of POSITIONS) {
    if (!text.startsWith(`${position}, `)) continue;
    const organisation = ORGANISATIONS[text.slice(position.length + 2)];
    if (organisation === undefined) return text;
    // "Phó Chánh Văn phòng" already names the office it heads.
    if (position === 'Deputy Chief') return `${vietnamese} UBND tỉnh`;
    return `${vietnamese} ${organisation}`;
  }
  return text;
}
