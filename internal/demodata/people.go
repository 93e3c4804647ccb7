package demodata

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/motcua/motcua/internal/dossier"
)

// Vietnamese family names with their approximate shares of the population.
var familyNames = []struct {
	name  string
	share float64
}{
	{"Nguyễn", 38}, {"Trần", 11}, {"Lê", 9.5}, {"Phạm", 7}, {"Huỳnh", 3}, {"Hoàng", 2},
	{"Phan", 4.5}, {"Võ", 3}, {"Vũ", 1}, {"Đặng", 2}, {"Bùi", 2}, {"Đỗ", 1.4}, {"Hồ", 1.3},
	{"Ngô", 1.3}, {"Dương", 1}, {"Lý", 0.5}, {"Trương", 1}, {"Đinh", 0.6}, {"Lâm", 0.5}, {"Mai", 0.4},
}

var (
	middleMale   = []string{"Văn", "Văn", "Văn", "Minh", "Hoàng", "Thanh", "Hữu", "Đức", "Quốc", "Công", "Ngọc", "Trọng"}
	middleFemale = []string{"Thị", "Thị", "Thị", "Ngọc", "Thanh", "Thu", "Kim", "Mỹ", "Bích", "Hồng", "Thùy", "Phương"}
	givenMale    = []string{"An", "Anh", "Bảo", "Bình", "Cường", "Dũng", "Duy", "Đạt", "Hải", "Hiếu", "Hòa", "Hùng", "Huy", "Khang", "Khánh", "Khoa", "Lâm", "Long", "Lộc", "Minh", "Nam", "Nghĩa", "Phát", "Phong", "Phúc", "Quân", "Quang", "Sơn", "Tài", "Tâm", "Thắng", "Thành", "Thịnh", "Toàn", "Trí", "Trung", "Tuấn", "Việt", "Vinh", "Vũ"}
	givenFemale  = []string{"An", "Anh", "Châu", "Chi", "Diễm", "Dung", "Duyên", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Hồng", "Hương", "Huyền", "Lan", "Liên", "Linh", "Loan", "Mai", "My", "Nga", "Ngân", "Ngọc", "Nhi", "Nhung", "Oanh", "Phương", "Quyên", "Tâm", "Thảo", "Thơ", "Thủy", "Trang", "Trinh", "Tuyết", "Uyên", "Vy", "Yến"}
)

// provinceCode is the province part of a citizen identity number (Tây
// Ninh: 072).
const provinceCode = "072"

// applicantFor returns the applicant number i of the population: the same
// number always gives the same person, so people come back for other
// procedures.
func applicantFor(seed uint64, i uint64) dossier.Applicant {
	r := rand.New(rand.NewPCG(seed^0x5eed0fa99, i))
	female := r.IntN(2) == 1
	year := 1950 + r.IntN(56) // born 1950–2005
	century := 0
	if year >= 2000 {
		century = 2
	}
	gender := century
	if female {
		gender++
	}
	id := fmt.Sprintf("%s%d%02d%06d", provinceCode, gender, year%100, r.IntN(1_000_000))
	total := 0.0
	for _, f := range familyNames {
		total += f.share
	}
	x := r.Float64() * total
	family := familyNames[0].name
	for _, f := range familyNames {
		if x < f.share {
			family = f.name
			break
		}
		x -= f.share
	}
	middle, given := middleMale, givenMale
	if female {
		middle, given = middleFemale, givenFemale
	}
	name := family + " " + middle[r.IntN(len(middle))] + " " + given[r.IntN(len(given))]
	return dossier.Applicant{ID: id, Name: name}
}

// officerID names officer k of a role, e.g. "mot_cua.07".
func officerID(role string, k int) string { return fmt.Sprintf("%s.%02d", role, k+1) }

// Texts people write, picked at random.
var (
	approveNotes = []string{"", "", "", "", "", "Hồ sơ đủ điều kiện", "Đề nghị lãnh đạo ký", "Đã kiểm tra, đúng quy định"}
	refuseNotes  = []string{
		"Hồ sơ không thuộc thẩm quyền giải quyết",
		"Người yêu cầu không đủ điều kiện theo quy định",
		"Thông tin kê khai không khớp với Cơ sở dữ liệu quốc gia về dân cư",
		"Giấy tờ chứng minh không hợp lệ",
		"Đã có hồ sơ cùng nội dung đang được giải quyết",
	}
	consultNotes = []string{"", "", "Đã xác minh, thông tin chính xác", "Đã cập nhật vào cơ sở dữ liệu", "Đề nghị bổ sung thông tin trong lần sau"}
	supplyNotes  = []string{"", "", "Đã bổ sung theo yêu cầu", "Bản chụp rõ nét hơn"}
	withdrawWhy  = []string{"Không còn nhu cầu", "Nộp nhầm thủ tục", "Sẽ nộp lại hồ sơ mới với thông tin đầy đủ", "Đã giải quyết ở nơi khác"}
	extendWhy    = []string{
		"Chờ kết quả xác minh của cơ quan liên quan",
		"Cần kiểm tra thực địa bổ sung",
		"Hệ thống cơ sở dữ liệu chuyên ngành gián đoạn",
		"Số lượng hồ sơ tăng đột biến",
	}
	praise     = []string{"", "", "", "Cán bộ hướng dẫn tận tình", "Nhanh, đúng hẹn", "Thủ tục thuận tiện", "Không phải đi lại"}
	complaints = []string{"Trả kết quả chậm so với hẹn", "Phải bổ sung nhiều lần", "Hướng dẫn chưa rõ ràng", "Thời gian chờ lâu"}
	itemFaults = []string{"bản chụp không rõ nét", "thiếu chữ ký", "thông tin chưa khớp với tờ khai", "hết hiệu lực", "chưa được chứng thực"}
)

func oneOf(r *rand.Rand, texts []string) string { return texts[r.IntN(len(texts))] }

// hexDigits returns n random lowercase hex digits.
func hexDigits(r *rand.Rand, n int) string {
	const digits = "0123456789abcdef"
	var b strings.Builder
	b.Grow(n)
	for i := 0; i < n; i += 16 {
		v := r.Uint64()
		for j := 0; j < 16 && i+j < n; j++ {
			b.WriteByte(digits[v&15])
			v >>= 4
		}
	}
	return b.String()
}

// What citizens write to the feedback system (complaints).
var (
	complaintsLate = []string{
		"Quá ngày hẹn trả kết quả nhưng chưa nhận được hồ sơ",
		"Hồ sơ bị trễ hẹn mà không được thông báo lý do",
		"Đề nghị cơ quan giải quyết hồ sơ đúng thời hạn đã hẹn",
	}
	complaintsDissatisfied = []string{
		"Cán bộ hướng dẫn chưa rõ ràng, phải đi lại nhiều lần",
		"Yêu cầu nộp giấy tờ đã có trong cơ sở dữ liệu",
		"Thái độ tiếp nhận hồ sơ chưa đúng mực",
	}
	complaintsOther = []string{
		"Không tra cứu được tình trạng hồ sơ trên Cổng dịch vụ công",
		"Hệ thống báo lỗi khi nộp hồ sơ trực tuyến",
		"Thời gian chờ tại bộ phận một cửa quá lâu",
	}
	complaintsAgain = []string{"Đã phản ánh nhưng chưa được trả lời", "Đề nghị xem xét lại nội dung đã phản ánh"}
)
